import type { Redis } from 'ioredis';

/** Whether a request may go ahead, and if not, when to try again. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A token bucket per API key: `perMinute` requests a minute, bursts up to `burstSeconds` of them. */
export interface RateLimiter {
  take(keyId: string, perMinute: number, now: number): Promise<RateDecision>;
}

/** The bucket's size: `burstSeconds` worth of the rate, at least one request. */
export function bucketCapacity(perMinute: number, burstSeconds: number): number {
  return Math.max(1, Math.floor((perMinute * burstSeconds) / 60));
}

// KEYS[1]: the bucket. ARGV: now (ms), refill per ms, capacity, tokens wanted. Returns {tokens granted, ms until
// the next token (0 when all were granted)}: the same as that many takes one after the other at the same instant.
// One script, so the read, the refill and the take are one atomic step however many replicas share the key.
const takeScript = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < wanted then
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {granted, wait}
`;

interface RateLimitPipeline {
  gatewayTakeTokens(key: string, now: number, rate: number, capacity: number, wanted: number): void;
  exec(): Promise<[Error | null, unknown][] | null>;
}

interface Taker {
  resolve: (decision: RateDecision) => void;
  reject: (error: unknown) => void;
}

/** The takes of one key waiting for the next round trip. */
interface Bucket {
  keyId: string;
  perMinute: number;
  now: number;
  takers: Taker[];
}

/**
 * The token buckets in Redis, shared by every gateway replica. The takes that arrive in one turn of the event loop
 * (requests read from the sockets together) go to Redis together: one script call per key for all its takes, all
 * keys in one pipeline, so a busy gateway pays one Redis write per turn instead of one per request.
 */
export class RedisRateLimiter implements RateLimiter {
  private pending = new Map<string, Bucket>();
  private flushScheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly burstSeconds: number,
  ) {
    redis.defineCommand('gatewayTakeTokens', { numberOfKeys: 1, lua: takeScript });
  }

  take(keyId: string, perMinute: number, now: number): Promise<RateDecision> {
    return new Promise((resolve, reject) => {
      // The takes of one turn happen within a millisecond or two: they count as taken at the latest of their times.
      const group = `${perMinute}:${keyId}`;
      let bucket = this.pending.get(group);
      if (!bucket) {
        bucket = { keyId, perMinute, now, takers: [] };
        this.pending.set(group, bucket);
      }
      bucket.now = Math.max(bucket.now, now);
      bucket.takers.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const buckets = [...this.pending.values()];
    this.pending = new Map();
    this.flushScheduled = false;
    // defineCommand adds the script to pipelines too; ioredis's types do not know it.
    const pipeline = this.redis.pipeline() as unknown as RateLimitPipeline;
    for (const bucket of buckets) {
      pipeline.gatewayTakeTokens(
        `${this.keyPrefix}${bucket.keyId}`,
        bucket.now,
        bucket.perMinute / 60_000,
        bucketCapacity(bucket.perMinute, this.burstSeconds),
        bucket.takers.length,
      );
    }
    pipeline.exec().then(
      (results) => {
        buckets.forEach((bucket, index) => {
          const [error, reply] = results?.[index] ?? [new Error('Redis gave no answer to a rate limit take')];
          if (error) {
            for (const taker of bucket.takers) taker.reject(error);
            return;
          }
          const [granted, waitMs] = reply as [number, number];
          const refusal: RateDecision = {
            allowed: false,
            retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
          };
          bucket.takers.forEach((taker, position) => {
            taker.resolve(position < granted ? { allowed: true } : refusal);
          });
        });
      },
      (error: unknown) => {
        for (const bucket of buckets) for (const taker of bucket.takers) taker.reject(error);
      },
    );
  }
}

/** The same buckets in memory, for tests and single-process use. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly burstSeconds: number) {}

  take(keyId: string, perMinute: number, now: number): Promise<RateDecision> {
    const rate = perMinute / 60_000;
    const capacity = bucketCapacity(perMinute, this.burstSeconds);
    const bucket = this.buckets.get(keyId) ?? { tokens: capacity, at: now };
    const tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * rate);
    const at = Math.max(now, bucket.at);
    if (tokens >= 1) {
      this.buckets.set(keyId, { tokens: tokens - 1, at });
      return Promise.resolve({ allowed: true });
    }
    this.buckets.set(keyId, { tokens, at });
    return Promise.resolve({
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(Math.ceil((1 - tokens) / rate) / 1000)),
    });
  }
}
