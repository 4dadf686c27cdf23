import type { Pipeline, ServiceName } from '../stack';

// The faults a reliability run strikes the stack with while the load runs, one after another.

/** A server the run can restart on the same port with the same data (the private Redis and PostgreSQL). */
export interface Restartable {
  restart(options?: { crash?: boolean; downMs?: number }): Promise<void>;
}

export interface FaultContext {
  pipeline: Pipeline;
  /** The run's private Redis (append-only file on) and PostgreSQL, when it has its own. */
  redis?: Restartable;
  postgres?: Restartable;
  log: (message: string) => void;
}

/** When a fault struck and when it was undone (the service ready again, the miner back to normal). */
export interface Strike {
  struckAt: number;
  restoredAt: number;
}

export interface Fault {
  name: string;
  /** What it does, for the report. */
  description: string;
  strike(context: FaultContext): Promise<Strike>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGKILL of a service (a crash: no shutdown hooks run), started again at once. */
export function killService(name: ServiceName): Fault {
  return {
    name: `SIGKILL ${name}`,
    description: `${name} killed with SIGKILL and started again at once`,
    strike: async ({ pipeline }) => {
      const struckAt = Date.now();
      const restoredAt = await pipeline.restartService(name, 'SIGKILL');
      return { struckAt, restoredAt };
    },
  };
}

/** A store of the run's killed (SIGKILL) and started again on its data after `downMs`. */
function crashStore(store: 'redis' | 'postgres', name: string, description: string, downMs: number): Fault {
  return {
    name,
    description: `${description}, down ${downMs / 1000} s, restarted on its data`,
    strike: async (context) => {
      const server = context[store];
      if (!server) throw new Error(`the run has no private ${store} to restart`);
      const struckAt = Date.now();
      await server.restart({ crash: true, downMs });
      return { struckAt, restoredAt: Date.now() };
    },
  };
}

/** Redis killed and started again after `downMs`: what the append-only file kept. */
export function restartRedis(downMs: number): Fault {
  return crashStore(
    'redis',
    'Redis restart',
    'Redis (appendonly yes, appendfsync everysec) killed with SIGKILL',
    downMs,
  );
}

/** PostgreSQL's postmaster killed and started again after `downMs`: crash recovery from the WAL. */
export function restartPostgres(downMs: number): Fault {
  return crashStore(
    'postgres',
    'PostgreSQL restart',
    'PostgreSQL killed with SIGKILL (WAL recovery)',
    downMs,
  );
}

/**
 * The devnet stopped (SIGSTOP) for `stoppedMs`, then continued (SIGCONT): the chain produces no blocks and answers
 * nothing, as a hung or unreachable subtensor node. (Killing it would not do: the devnet keeps its chain in memory,
 * so it would come back as a new chain.)
 */
export function stopDevnet(stoppedMs: number): Fault {
  return {
    name: 'devnet stopped',
    description: `the devnet frozen with SIGSTOP for ${stoppedMs / 1000} s (no blocks, no answers), then SIGCONT`,
    strike: async ({ pipeline }) => {
      const pid = pipeline.devnet.pid;
      const struckAt = Date.now();
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(stoppedMs);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      return { struckAt, restoredAt: Date.now() };
    },
  };
}

/** One miner behaving badly for `forMs`, then restarted with its usual variables. */
export function badMiner(
  name: string,
  description: string,
  uid: number,
  env: Record<string, string>,
  normal: Record<string, string>,
  forMs: number,
): Fault {
  return {
    name,
    description: `${description}, for ${forMs / 1000} s`,
    strike: async ({ pipeline }) => {
      const struckAt = Date.now();
      await pipeline.restartDemoMiner(uid, { ...normal, ...env });
      await sleep(forMs);
      await pipeline.restartDemoMiner(uid, normal);
      return { struckAt, restoredAt: Date.now() };
    },
  };
}
