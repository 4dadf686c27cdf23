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

// KEYS[1]: the bucket. ARGV: now (ms), refill per ms, capacity. Returns {allowed (0/1), ms until a token}.
// One script, so the read, the refill and the take are one atomic step however many replicas share the key.
const takeScript = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {allowed, wait}
`;

interface RateLimitRedis extends Redis {
  gatewayTakeToken(key: string, now: number, rate: number, capacity: number): Promise<[number, number]>;
}

/** The token buckets in Redis, shared by every gateway replica. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RateLimitRedis;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly burstSeconds: number,
  ) {
    redis.defineCommand('gatewayTakeToken', { numberOfKeys: 1, lua: takeScript });
    this.redis = redis as RateLimitRedis;
  }

  async take(keyId: string, perMinute: number, now: number): Promise<RateDecision> {
    const [allowed, waitMs] = await this.redis.gatewayTakeToken(
      `${this.keyPrefix}${keyId}`,
      now,
      perMinute / 60_000,
      bucketCapacity(perMinute, this.burstSeconds),
    );
    return allowed === 1
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
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
