import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a child process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: Error;
}

/** Resolves once the child has exited, or failed to spawn. */
export function processEnded(child: ChildProcess): Promise<ProcessExit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      resolveExit({ code, signal });
    });
    child.once('error', (error) => {
      if (child.pid === undefined) resolveExit({ code: null, signal: null, error });
    });
  });
}

/** "exit code 1", "signal SIGKILL" or the spawn error, for messages. */
export function describeExit(exit: ProcessExit): string {
  if (exit.error) return exit.error.message;
  if (exit.signal) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

/** Sends SIGTERM, then SIGKILL when the child is still there after `graceMs`; resolves once it is gone. */
export async function terminate(
  child: ChildProcess,
  ended: Promise<ProcessExit>,
  graceMs: number,
): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    await ended;
    return;
  }
  child.kill('SIGTERM');
  const abort = new AbortController();
  const stillRunning = await Promise.race([
    ended.then(() => false),
    sleep(graceMs, true, { signal: abort.signal }).catch(() => false),
  ]);
  abort.abort();
  if (stillRunning) child.kill('SIGKILL');
  await ended;
}

/** Keeps the last `limit` characters of a process's output, to quote when it fails. */
export class OutputTail {
  private text = '';

  constructor(private readonly limit = 16_384) {}

  /** Adds a chunk of output. */
  append(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limit) this.text = this.text.slice(this.text.length - this.limit);
  }

  /** The kept output, or a note that there was none. */
  toString(): string {
    return this.text.trim() || '(no output)';
  }
}

/** True while a process with this pid exists (signal 0 probes without touching it). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
