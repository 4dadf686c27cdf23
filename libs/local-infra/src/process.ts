import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** Sends `signal` (SIGTERM), then SIGKILL when the child is still there after `graceMs`; resolves once it is gone. */
export async function terminate(
  child: ChildProcess,
  ended: Promise<ProcessExit>,
  graceMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    await ended;
    return;
  }
  child.kill(signal);
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

  /** The tail of what a child writes to its piped stdout and stderr. */
  static of(child: ChildProcess, limit?: number): OutputTail {
    const tail = new OutputTail(limit);
    const keep = (chunk: Buffer) => {
      tail.append(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return tail;
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

/** A process as /proc shows it; `startTime` tells a process from a later one that got the same pid. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** What /proc/<pid>/stat says of a process (Linux). */
export interface ProcStat extends ProcessIdentity {
  ppid: number;
  /** R, S, D, T, Z, ... */
  state: string;
  /** User plus system CPU time, in seconds. */
  cpuSeconds: number;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The process's /proc/<pid>/stat; undefined when it is gone or there is no /proc. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so the fields are read after the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || startTime === undefined) return undefined;
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  return { pid, ppid: Number(ppid), state, startTime, cpuSeconds };
}
