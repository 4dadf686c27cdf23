import { EpistulaError, EpistulaErrorCode } from './errors';

/**
 * Remembers (signer, UUID) pairs for as long as a request carrying them could still pass the timestamp check, so a
 * captured request cannot be sent twice.
 */
export interface ReplayCache {
  /**
   * Records the pair for `windowMs` and answers true, or answers false when it is already recorded. Must be atomic:
   * two concurrent calls with the same pair never both get true.
   */
  firstSeen(hotkey: string, uuid: string, windowMs: number): boolean | Promise<boolean>;
}

export interface MemoryReplayCacheOptions {
  /** Unix milliseconds; `Date.now` by default. */
  clock?: () => number;
  /**
   * Upper bound on remembered pairs (default 1,000,000, about 150 MB). When full, the pair closest to expiry is
   * forgotten early; size it above requests per second times the window.
   */
  maxEntries?: number;
}

/** An in-process replay cache for tests and single-process deployments; several processes need `RedisReplayCache`. */
export class MemoryReplayCache implements ReplayCache {
  private readonly expiresAt = new Map<string, number>();
  /** Entries in insertion order; with one window per verifier this is also expiry order. */
  private queue: { key: string; expiresAt: number }[] = [];
  private head = 0;
  private readonly clock: () => number;
  private readonly maxEntries: number;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.maxEntries = options.maxEntries ?? 1_000_000;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new EpistulaError(EpistulaErrorCode.InvalidOptions, 'maxEntries must be a positive integer');
    }
  }

  firstSeen(hotkey: string, uuid: string, windowMs: number): boolean {
    const now = this.clock();
    this.forgetExpired(now);
    const key = `${hotkey}:${uuid}`;
    const expiry = this.expiresAt.get(key);
    if (expiry !== undefined && expiry > now) return false;
    if (expiry === undefined && this.expiresAt.size >= this.maxEntries) this.forgetOldest();
    const expiresAt = now + windowMs;
    this.expiresAt.set(key, expiresAt);
    this.queue.push({ key, expiresAt });
    return true;
  }

  /** Pairs currently remembered. */
  get size(): number {
    return this.expiresAt.size;
  }

  private forgetExpired(now: number): void {
    let entry = this.queue[this.head];
    while (entry !== undefined && entry.expiresAt <= now) {
      this.forget(entry);
      entry = this.queue[this.head];
    }
    this.compact();
  }

  private forgetOldest(): void {
    const before = this.expiresAt.size;
    let entry = this.queue[this.head];
    while (entry !== undefined && this.expiresAt.size === before) {
      this.forget(entry);
      entry = this.queue[this.head];
    }
    this.compact();
  }

  /** Drops the queue's head entry, and its map entry unless the pair was recorded again since. */
  private forget(entry: { key: string; expiresAt: number }): void {
    if (this.expiresAt.get(entry.key) === entry.expiresAt) this.expiresAt.delete(entry.key);
    this.head += 1;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** The one Redis command the cache needs; an ioredis `Redis` or `Cluster` fits. */
export interface RedisSetNxClient {
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
}

export interface RedisReplayCacheOptions {
  /** Prefix of every key, e.g. `miner-proxy:replay:` (default `epistula:replay:`). */
  keyPrefix?: string;
}

/**
 * A replay cache shared by every process of a node: one `SET <prefix><hotkey>:<uuid> 1 PX <window> NX` per request.
 * Redis errors refuse the request with 503 `epistula_replay_cache_unavailable` rather than let it pass unchecked.
 */
export class RedisReplayCache implements ReplayCache {
  readonly keyPrefix: string;

  constructor(
    private readonly redis: RedisSetNxClient,
    options: RedisReplayCacheOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'epistula:replay:';
  }

  async firstSeen(hotkey: string, uuid: string, windowMs: number): Promise<boolean> {
    let answer: 'OK' | null;
    try {
      answer = await this.redis.set(
        `${this.keyPrefix}${hotkey}:${uuid}`,
        '1',
        'PX',
        Math.max(1, Math.ceil(windowMs)),
        'NX',
      );
    } catch (error) {
      throw new EpistulaError(
        EpistulaErrorCode.ReplayCacheUnavailable,
        'the replay cache (Redis) did not answer',
        {
          cause: error,
        },
      );
    }
    return answer === 'OK';
  }
}
