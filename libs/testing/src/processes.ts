import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describeExit, freePort, OutputTail, processEnded, terminate, waitFor } from '@vstack/local-infra';

/** The workspace root, where tools/build.mjs and dist/ live. */
export const workspaceRoot = resolve(import.meta.dirname, '../../..');

/** Builds apps/<name> into dist/apps/<name>/main.js with the workspace's build script. */
export function buildApp(name: string): void {
  const result = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', `apps/${name}`, '--entry', 'src/main.ts'],
    { cwd: workspaceRoot, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`building ${name} failed: ${result.stderr || result.stdout}`);
}

/** A built app running as a child process of the test. */
export interface RunningApp {
  port: number;
  /** The process id, for its CPU time and memory in /proc and for signals such as SIGSTOP. */
  pid: number;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Sends `signal` at once (SIGKILL by default: a crash, no shutdown hooks) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

export interface StartAppOptions {
  /** Variables on top of the test's environment; undefined removes one. */
  env?: Record<string, string | undefined>;
  /** The port to listen on; a free one when left out. */
  port?: number;
  /** True once the app is ready; /health/ready answering 200 when left out. */
  ready?: (port: number) => Promise<boolean>;
  timeoutMs?: number;
  /** Every chunk the process writes to stdout or stderr, as it comes (output() keeps only the tail). */
  onOutput?: (chunk: string) => void;
}

/** Spawns dist/apps/<name>/main.js (built by buildApp) and waits until it is ready; kills it if it never is. */
export async function startApp(name: string, options: StartAppOptions = {}): Promise<RunningApp> {
  const port = options.port ?? (await freePort());
  const overrides = Object.entries(options.env ?? {});
  const removed = new Set(overrides.filter(([, value]) => value === undefined).map(([key]) => key));
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...Object.fromEntries(overrides.filter(([, value]) => value !== undefined)),
  };
  const env = Object.fromEntries(Object.entries(merged).filter(([key]) => !removed.has(key)));
  const ready =
    options.ready ??
    (async (readyPort: number) => (await fetch(`http://127.0.0.1:${readyPort}/health/ready`)).ok);
  const child = spawn(process.execPath, [join(workspaceRoot, `dist/apps/${name}/main.js`)], {
    cwd: workspaceRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  child.stdout.on('data', (chunk: Buffer) => {
    output.append(chunk);
    options.onOutput?.(chunk.toString('utf8'));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.append(chunk);
    options.onOutput?.(chunk.toString('utf8'));
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
      { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 50, description: `${name} on port ${port}` },
    );
  } catch (error) {
    await stop();
    throw new Error(`${name} did not become ready: ${output.toString()}`, { cause: error });
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await ended;
  };
  const pid = child.pid;
  // Ready means it ran, so it has a pid; a 0 here would signal the whole process group.
  if (pid === undefined) throw new Error(`${name} has no process id`);
  return { port, pid, stop, kill, output: () => output.toString() };
}
