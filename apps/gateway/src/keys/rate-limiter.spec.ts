import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bucketCapacity, MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from './rate-limiter';

const prefix = uniqueTestName('gateway_rate');
const redis = new Redis(inject('redisUrl'));

afterAll(async () => {
  await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
  redis.disconnect();
});

describe.each([
  ['in memory', () => new MemoryRateLimiter(10)],
  ['in Redis', () => new RedisRateLimiter(redis, `${prefix}:${Math.random()}:`, 10)],
])('the rate limiter %s', (_name, make: () => RateLimiter) => {
  it("lets a key burst up to ten seconds' worth, then one request per refill, and says when to retry", async () => {
    const limiter = make();
    const start = 1_000_000;
    // 60 a minute: one a second, bursts of 10.
    for (let i = 0; i < 10; i += 1) expect(await limiter.take('k', 60, start)).toEqual({ allowed: true });
    expect(await limiter.take('k', 60, start)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(await limiter.take('other', 60, start)).toEqual({ allowed: true });
    expect(await limiter.take('k', 60, start + 1_000)).toEqual({ allowed: true });
    expect(await limiter.take('k', 60, start + 1_000)).toMatchObject({ allowed: false });
    // A slow key waits longer.
    expect(await limiter.take('slow', 6, start)).toEqual({ allowed: true });
    expect(await limiter.take('slow', 6, start)).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('counts takes made at the same moment one by one: a burst of 15 gets 10 through and 5 refusals', async () => {
    const limiter = make();
    const decisions = await Promise.all(Array.from({ length: 15 }, () => limiter.take('k', 60, 2_000_000)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    expect(decisions.filter((decision) => !decision.allowed)).toEqual(
      Array.from({ length: 5 }, () => ({ allowed: false, retryAfterSeconds: 1 })),
    );
    expect(await limiter.take('other', 60, 2_000_000)).toEqual({ allowed: true });
  });

  it('never grows a bucket past its capacity, and ignores a clock that goes back', async () => {
    const limiter = make();
    expect(await limiter.take('k', 60, 5_000_000)).toEqual({ allowed: true });
    let allowed = 0;
    for (let i = 0; i < 20; i += 1) if ((await limiter.take('k', 60, 9_000_000)).allowed) allowed += 1;
    expect(allowed).toBe(bucketCapacity(60, 10));
    expect((await limiter.take('k', 60, 1_000)).allowed).toBe(false);
  });
});
