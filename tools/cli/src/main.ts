import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ServiceClient } from './client';
import { runLogs } from './logs';
import { parseCommand, usage } from './options';
import { readLauncherServices, resolveTarget, serviceNames, UsageError } from './services';
import { runTop } from './top';

// dist/tools/cli/main.js and tools/cli/src/main.ts both sit three levels below the workspace root.
const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));
const localDir = process.env['VSTACK_LOCAL_DIR'] || join(workspaceRoot, 'tmp/local');
/** True for a terminal; a pipe's isTTY is undefined although Node's types say boolean. */
function isTerminal(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

const colour = isTerminal(process.stdout) && !process.env['NO_COLOR'];

function onStopSignal(listener: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommand(argv);
  switch (command.command) {
    case 'help':
      process.stdout.write(`${usage}\n`);
      return 0;
    case 'top': {
      const launcher = readLauncherServices(localDir);
      const names = command.service ? [command.service] : serviceNames();
      const targets = names.map((name) =>
        resolveTarget(name, { url: command.url, env: process.env, launcher }),
      );
      const client = new ServiceClient(Math.max(1_000, Math.min(command.intervalMs, 5_000)));
      return runTop(
        {
          view: command.service ? 'service' : 'overview',
          targets,
          intervalMs: command.intervalMs,
          colour,
          once: command.once,
        },
        {
          read: (target) => client.read(target),
          screen: {
            write: (text) => process.stdout.write(text),
            get isTTY() {
              return isTerminal(process.stdout);
            },
            get columns() {
              return process.stdout.columns;
            },
            get rows() {
              return process.stdout.rows;
            },
          },
          keyboard: isTerminal(process.stdin)
            ? {
                listen(onKey) {
                  const onData = (data: Buffer) => {
                    for (const key of data.toString('utf8')) onKey(key);
                  };
                  process.stdin.setRawMode(true);
                  process.stdin.on('data', onData);
                  process.stdin.resume();
                  return () => {
                    process.stdin.off('data', onData);
                    process.stdin.setRawMode(false);
                    process.stdin.pause();
                  };
                },
              }
            : undefined,
          onStopSignal,
          now: () => new Date(),
        },
      );
    }
    case 'logs':
      return runLogs(
        { ...command, colour },
        {
          localDir,
          stdin: process.stdin,
          write: (text) => process.stdout.write(text),
          onStopSignal,
          pollMs: 250,
        },
      );
  }
}

// A reader that goes away (vstack logs | head) is the end of the output, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`vstack: ${error.message}\n\nrun vstack help for the commands and their options\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `vstack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
// Open sockets of the HTTP client's keep-alive pool must not hold the process after the view closes.
process.exit(process.exitCode);
