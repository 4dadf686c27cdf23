import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { waitFor } from './net';
import {
  describeExit,
  OutputTail,
  type ProcessExit,
  type ProcessIdentity,
  processEnded,
  procStat,
  terminate,
} from './process';
import type { PrivateService } from './redis';

// The lifecycle shared by the private Redis and the private PostgreSQL: one server process on a fixed port and data
// directory that fault runs stop (cleanly or as a crash) and start again while the services using it reconnect.

/** How `restart` stops the server and how long it stays down. */
export interface RestartOptions {
  /** SIGKILL, as a crash (Redis keeps what its append-only file had; PostgreSQL recovers from its WAL); else a clean stop. */
  crash?: boolean;
  /** How long the server stays down before it starts again (default 0). */
  downMs?: number;
}

/** A server owned by this process that can be stopped and started again on the same port and data. */
export interface RestartableService extends PrivateService {
  port: number;
  /** The process id of the server last started (a restart changes it). */
  readonly pid: number;
  /** Stops the server, waits `downMs`, starts it again on the same port and data and waits until it serves. */
  restart(options?: RestartOptions): Promise<void>;
}

/** How to run one server process. */
export interface ServerProgram {
  /** Names the server in messages, e.g. `redis-server (/usr/bin/redis-server)`. */
  name: string;
  port: number;
  errorCode: LocalInfraErrorCode;
  /** Spawns the server, detached, with its output piped. */
  spawn(): ChildProcess;
  /** True once the server serves; a throw counts as "not yet". */
  ready(): Promise<boolean>;
  /** What `ready` waits for, for the timeout message (e.g. "to answer PING"). */
  readiness: string;
  /** The signal of a clean stop; SIGKILL follows when the server is still there after `cleanStopMs`. */
  cleanSignal: NodeJS.Signals;
  cleanStopMs: number;
  startTimeoutMs: number;
}

/** The lifecycle of a started server; `stop` also runs the `removeData` given to `superviseServer`. */
export type SupervisedServer = Pick<RestartableService, 'pid' | 'stop' | 'restart'>;

interface Running {
  child: ChildProcess;
  pid: number;
  ended: Promise<ProcessExit>;
  output: OutputTail;
}

/** A start that failed because the server exited (port taken, data still locked), which a retry may get past. */
class ExitedDuringStartUp extends LocalInfraError {}

const restartAttempts = 5;
/** How long the children of a stopped server get to follow it before they are killed. */
const childGraceMs = 5_000;

/**
 * Starts the server and waits until it serves. When that fails the process is gone and the error (a LocalInfraError
 * with the program's code) quotes its output; `removeData` is not run then, the caller decides.
 */
export async function superviseServer(
  program: ServerProgram,
  removeData: () => Promise<void>,
): Promise<SupervisedServer> {
  let current: Running | undefined;
  let lastPid = 0;
  let stopped = false;
  const isStopped = () => stopped;
  // Restarts and the stop run one after another, so a stop never races a start.
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  const killOnExit = () => {
    if (current) killNow(current.pid);
  };
  process.once('exit', killOnExit);

  const halt = async (crash: boolean) => {
    const running = current;
    if (!running) return;
    const children = childrenOf(running.pid);
    await terminate(
      running.child,
      running.ended,
      program.cleanStopMs,
      crash ? 'SIGKILL' : program.cleanSignal,
    );
    current = undefined;
    // A killed PostgreSQL's backends (or a killed Redis's rewrite child) exit on their own once they notice; until
    // then they hold the data, so they are waited for and, after a grace period, killed.
    await reap(children, childGraceMs);
  };

  const start = async () => {
    const child = program.spawn();
    const output = OutputTail.of(child);
    const ended = processEnded(child);
    if (child.pid !== undefined) {
      current = { child, pid: child.pid, ended, output };
      lastPid = child.pid;
    }
    const startUp = new AbortController();
    void ended.then((exit) => {
      startUp.abort(
        new ExitedDuringStartUp(
          program.errorCode,
          `${program.name} exited during start-up (${describeExit(exit)}). Its output:\n${output.toString()}`,
        ),
      );
    });
    try {
      // A check still pending when the server exits must not hold up the failure.
      const exited = new Promise<boolean>((resolve) => {
        startUp.signal.addEventListener('abort', () => {
          resolve(false);
        });
      });
      await waitFor(() => Promise.race([program.ready(), exited]), {
        timeoutMs: program.startTimeoutMs,
        intervalMs: 50,
        description: `${program.name} on 127.0.0.1:${program.port} ${program.readiness}`,
        signal: startUp.signal,
      });
    } catch (error) {
      await halt(true);
      await ended;
      if (error instanceof LocalInfraError && error.code === LocalInfraErrorCode.Timeout) {
        throw new LocalInfraError(program.errorCode, `${error.message}. Its output:\n${output.toString()}`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      startUp.abort();
    }
  };

  try {
    await start();
  } catch (error) {
    process.off('exit', killOnExit);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    get pid() {
      return lastPid;
    },
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        await serialize(() => halt(false));
        process.off('exit', killOnExit);
        await removeData();
      })()),
    restart: (options = {}) =>
      serialize(async () => {
        if (stopped) {
          throw new LocalInfraError(program.errorCode, `${program.name} was stopped and cannot be restarted`);
        }
        await halt(options.crash === true);
        await sleep(options.downMs ?? 0);
        for (let attempt = 1; ; attempt += 1) {
          // A stop called while the server was down: it stays down.
          if (isStopped()) return;
          try {
            await start();
            return;
          } catch (error) {
            // The port may be taken a moment (by a client's outgoing socket) or the old server's leftovers may still
            // hold the data; both pass. A start that timed out would only time out again.
            if (!(error instanceof ExitedDuringStartUp) || attempt >= restartAttempts) throw error;
            await sleep(200 * attempt);
          }
        }
      }),
  };
}

/** The live children of a process (Linux, from /proc; empty elsewhere). */
export function childrenOf(pid: number): ProcessIdentity[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: ProcessIdentity[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === pid && stat.state !== 'Z') children.push({ pid: stat.pid, startTime: stat.startTime });
  }
  return children;
}

/** True while this very process runs (not a zombie, not a later process with its pid). */
export function isStillRunning(target: ProcessIdentity): boolean {
  const stat = procStat(target.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === target.startTime;
}

async function reap(children: ProcessIdentity[], graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  let left = children.filter(isStillRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = left.filter(isStillRunning);
  }
  for (const child of left) signal(child.pid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (left.some(isStillRunning) && Date.now() < killDeadline) await sleep(20);
}

/** SIGKILL to a server and its children, synchronously (from a process 'exit' handler). */
function killNow(pid: number): void {
  const children = childrenOf(pid);
  signal(pid, 'SIGKILL');
  for (const child of children) signal(child.pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
