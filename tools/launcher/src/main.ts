import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, isPortFree, startEmbeddedPostgres, startPrivateRedis } from '@vstack/local-infra';
import { runLauncher } from './launcher';
import { type LauncherOptions, parseLauncherArgs, usage } from './options';
import { wantsColour } from './output';

// dist/tools/launcher/main.js and tools/launcher/src/main.ts both sit three levels below the workspace root.
const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));
const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

let options: LauncherOptions;
try {
  options = parseLauncherArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const exitCode = await runLauncher(options, {
  distDir: process.env['VSTACK_DIST_DIR'] ?? join(workspaceRoot, 'dist'),
  env: process.env,
  sink: {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  colour: wantsColour(process.stdout, process.env),
  ports: { isFree: (port) => isPortFree(port), freePort: () => freePort() },
  startRedis: () => startPrivateRedis(),
  startPostgres: (dataDir) => startEmbeddedPostgres(dataDir ? { dataDir } : {}),
  onStopSignal: (listener) => {
    for (const signal of stopSignals) process.on(signal, listener);
    return () => {
      for (const signal of stopSignals) process.off(signal, listener);
    };
  },
  graceMs: 15_000,
  runDir: process.env['VSTACK_LOCAL_DIR'] || join(workspaceRoot, 'tmp/local'),
});
process.exit(exitCode);
