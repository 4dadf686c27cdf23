import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProcessExit, processEnded } from '@vstack/local-infra';
import { LineBuffer } from './output';

/** Receives each line a supervised process writes. */
export type LineListener = (name: string, stream: 'stdout' | 'stderr', line: string) => void;

/** Called when a long-running process ends while nothing asked it to stop. */
export type UnexpectedExitListener = (name: string, pid: number, exit: ProcessExit) => void;

export interface SupervisorOptions {
  /** How long processes get between SIGTERM and SIGKILL. */
  graceMs: number;
  onLine: LineListener;
  /** Told about each process that had to be killed after the grace period. */
  onKilled?: (name: string, pid: number) => void;
  spawnProcess?: typeof spawn;
}

interface Supervised {
  name: string;
  child: ChildProcess;
  ended: Promise<ProcessExit>;
  longRunning: boolean;
}

/** A started process as the caller sees it. */
export interface SupervisedProcess {
  name: string;
  pid: number;
  ended: Promise<ProcessExit>;
}

/**
 * Runs Node scripts as child processes, each in its own process group (so a terminal's Ctrl-C reaches only the
 * launcher, which stops them in order), relays their output line by line, reports long-running processes that
 * exit on their own, and stops everything with SIGTERM, then SIGKILL after a grace period.
 */
export class Supervisor {
  private readonly processes = new Set<Supervised>();
  private readonly unexpectedExitListeners: UnexpectedExitListener[] = [];
  private stopping = false;
  private readonly spawnProcess: typeof spawn;
  private readonly killOnExit = () => {
    this.killAll();
  };

  constructor(private readonly options: SupervisorOptions) {
    this.spawnProcess = options.spawnProcess ?? spawn;
    // Last resort when the launcher itself exits without stopping (an uncaught error): leave nothing behind.
    process.on('exit', this.killOnExit);
  }

  /** Registers a listener for long-running processes that end while the supervisor is not stopping. */
  onUnexpectedExit(listener: UnexpectedExitListener): void {
    this.unexpectedExitListeners.push(listener);
  }

  /** Starts a long-running script; its exit counts as unexpected unless `stopAll` caused it. */
  start(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv): SupervisedProcess {
    return this.launch(name, script, args, env, true);
  }

  /** Runs a script to completion (e.g. migrations) and resolves with how it ended. */
  run(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessExit> {
    return this.launch(name, script, args, env, false).ended;
  }

  /** The processes still running. */
  running(): { name: string; pid: number }[] {
    return [...this.processes].flatMap(({ name, child }) =>
      child.pid === undefined ? [] : [{ name, pid: child.pid }],
    );
  }

  /** SIGTERM to every process, SIGKILL to those still there after the grace period; resolves once all are gone. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const remaining = [...this.processes];
    for (const supervised of remaining) this.signal(supervised, 'SIGTERM');
    const abort = new AbortController();
    const allEnded = Promise.all(remaining.map((supervised) => supervised.ended));
    const timedOut = await Promise.race([
      allEnded.then(() => false),
      sleep(this.options.graceMs, true, { signal: abort.signal }).catch(() => false),
    ]);
    abort.abort();
    if (timedOut) {
      for (const supervised of this.processes) {
        if (supervised.child.pid !== undefined)
          this.options.onKilled?.(supervised.name, supervised.child.pid);
        this.signal(supervised, 'SIGKILL');
      }
    }
    await allEnded;
    process.off('exit', this.killOnExit);
  }

  /** SIGKILL to every process now, without waiting. */
  killAll(): void {
    this.stopping = true;
    for (const supervised of this.processes) this.signal(supervised, 'SIGKILL');
  }

  private launch(
    name: string,
    script: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    longRunning: boolean,
  ): SupervisedProcess {
    const child = this.spawnProcess(process.execPath, [script, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const ended = processEnded(child);
    const supervised: Supervised = { name, child, ended, longRunning };
    this.processes.add(supervised);
    this.relay(name, child, 'stdout');
    this.relay(name, child, 'stderr');
    void ended.then((exit) => {
      this.processes.delete(supervised);
      if (longRunning && !this.stopping) {
        for (const listener of this.unexpectedExitListeners) listener(name, child.pid ?? 0, exit);
      }
    });
    return { name, pid: child.pid ?? 0, ended };
  }

  private relay(name: string, child: ChildProcess, stream: 'stdout' | 'stderr'): void {
    const source = child[stream];
    if (!source) return;
    const lines = new LineBuffer();
    source.setEncoding('utf8');
    source.on('data', (text: string) => {
      for (const line of lines.push(text)) this.options.onLine(name, stream, line);
    });
    source.on('end', () => {
      for (const line of lines.flush()) this.options.onLine(name, stream, line);
    });
  }

  private signal({ child }: Supervised, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      // The negative pid addresses the child's process group, so anything it started goes too.
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  }
}
