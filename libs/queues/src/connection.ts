import { Redis } from 'ioredis';
import { QueueError, QueueErrorCode } from './errors';

/** Where the queues live: the Redis server and the key prefix of every queue key. */
export interface QueueConnectionOptions {
  /** redis:// or rediss:// URL. */
  redisUrl: string;
  /** BullMQ key prefix (REDIS_PREFIX); keys are `<prefix>:<queue>:...`. */
  prefix: string;
}

/** Producers enqueue from request handlers; workers hold blocking connections. */
export type RedisConnectionRole = 'producer' | 'worker';

/**
 * Opens the ioredis connection the queue layer uses. Workers get `maxRetriesPerRequest: null`, which BullMQ
 * requires for blocking commands (they wait through reconnects); producers give up after a few retries so an
 * API call fails quickly instead of hanging while Redis is away.
 */
export function createRedisConnection(redisUrl: string, role: RedisConnectionRole): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    connectionName: `vstack-queues-${role}`,
  });
}

/**
 * How fast jobs of a dead worker come back. A worker holds a lock per job and renews it every half
 * `lockDurationMs`; every `stalledIntervalMs` some worker moves active jobs whose lock has expired back to
 * waiting. A killed worker's jobs therefore resume within about lockDurationMs + stalledIntervalMs (3 s with
 * the defaults; BullMQ's own defaults give about 60 s).
 *
 * The price of short locks: a worker whose event loop blocks for longer than lockDurationMs loses its locks
 * and another worker runs the same job again, and the check costs one small Redis script per queue every
 * stalledIntervalMs. Handlers are idempotent by job id, so a second run is harmless.
 */
export interface StalledJobSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
  /**
   * How many times a job may be taken back from a dead or blocked worker before it fails. Above 1 so a job
   * survives a crash plus a rolling restart; bounded so a job that kills every worker that takes it fails.
   */
  maxStalledCount: number;
}

/** Defaults that bring a killed worker's jobs back within 5 s. */
export const defaultStalledJobSettings: Readonly<StalledJobSettings> = {
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
  maxStalledCount: 2,
};

/** Checks stalled-job settings and fills defaults; throws QueueError naming the bad value. */
export function resolveStalledJobSettings(settings: Partial<StalledJobSettings> = {}): StalledJobSettings {
  const resolved = { ...defaultStalledJobSettings, ...settings };
  const checks: [keyof StalledJobSettings, number][] = [
    ['lockDurationMs', 100],
    ['stalledIntervalMs', 100],
    ['maxStalledCount', 1],
  ];
  for (const [key, min] of checks) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < min) {
      throw new QueueError(QueueErrorCode.InvalidOptions, `${key} must be a whole number of at least ${min}`);
    }
  }
  return resolved;
}
