import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { workspaceRoot } from '@vstack/testing';

/** A validator process the test can kill without warning. */
export interface KillableApp {
  child: ChildProcess;
  port: number;
  output(): string;
  /** SIGKILL: no shutdown hooks, no lock released. */
  kill(): Promise<void>;
  /** SIGTERM, then the exit code once the process has stopped by itself. */
  terminate(): Promise<number | null>;
}

/** Spawns dist/apps/validator/main.js (built already) and waits for /health/ready. */
export async function spawnValidator(port: number, env: Record<string, string>): Promise<KillableApp> {
  const child = spawn(process.execPath, [join(workspaceRoot, 'dist/apps/validator/main.js')], {
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
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`validator exited (${child.exitCode}): ${output}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`validator did not become ready: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const terminate = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    return child.exitCode;
  };
  return { child, port, output: () => output, kill, terminate };
}
