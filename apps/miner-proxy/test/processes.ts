import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describeExit, freePort, OutputTail, processEnded, terminate, waitFor } from '@vstack/local-infra';

// Builds and starts real service processes (tools/build.mjs output under dist/apps) for the end-to-end tests.

export const workspaceRoot = resolve(import.meta.dirname, '../../..');

/** Builds apps/<name> into dist/apps/<name>/main.js. */
export function buildApp(name: string): void {
  const result = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', `apps/${name}`, '--entry', 'src/main.ts'],
    { cwd: workspaceRoot, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`building ${name} failed: ${result.stderr || result.stdout}`);
}

export interface RunningApp {
  port: number;
  stop(): Promise<void>;
  output(): string;
}

/** Spawns dist/apps/<name>/main.js on a free port and waits until `ready` says so. */
export async function startApp(
  name: string,
  env: Record<string, string>,
  ready: (port: number) => Promise<boolean>,
): Promise<RunningApp> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(workspaceRoot, `dist/apps/${name}/main.js`)], {
    cwd: workspaceRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  child.stdout.on('data', (chunk: Buffer) => {
    output.append(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.append(chunk);
  });
  const ended = processEnded(child);
  let exited: string | undefined;
  void ended.then((exit) => {
    exited = describeExit(exit);
  });
  const stop = () => terminate(child, ended, 3_000);
  try {
    await waitFor(
      async () => {
        if (exited !== undefined) throw new Error(`${name} exited (${exited}): ${output.toString()}`);
        return ready(port).catch(() => false);
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `${name} on port ${port}` },
    );
  } catch (error) {
    await stop();
    throw new Error(`${name} did not become ready: ${output.toString()}`, { cause: error });
  }
  return { port, stop, output: () => output.toString() };
}
