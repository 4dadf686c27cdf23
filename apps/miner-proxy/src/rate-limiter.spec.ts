import { describe, expect, it } from 'vitest';
import { StakeRateLimiter } from './rate-limiter';

const TAO = 1_000_000_000n;

describe('StakeRateLimiter', () => {
  it('gives each validator a minute of requests in proportion to its stake, then refills', () => {
    let now = 0;
    const limiter = new StakeRateLimiter({ perThousandTaoPerMinute: 60, minPerMinute: 0, clock: () => now });
    // 2000 TAO at 60 per 1000 TAO: 120 per minute, 2 per second.
    for (let i = 0; i < 120; i += 1) expect(limiter.take('alice', 2_000n * TAO)).toEqual({ allowed: true });
    expect(limiter.take('alice', 2_000n * TAO)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('bob', 2_000n * TAO)).toEqual({ allowed: true });
    now += 500;
    expect(limiter.take('alice', 2_000n * TAO)).toEqual({ allowed: true });
    expect(limiter.take('alice', 2_000n * TAO).allowed).toBe(false);
  });

  it('applies the floor to small stakes and is off at 0', () => {
    const limiter = new StakeRateLimiter({ perThousandTaoPerMinute: 60, minPerMinute: 6, clock: () => 0 });
    expect(limiter.perMinute(0n)).toBe(6);
    expect(limiter.perMinute(1_000n * TAO)).toBe(60);
    const off = new StakeRateLimiter({ perThousandTaoPerMinute: 0, minPerMinute: 0 });
    for (let i = 0; i < 1000; i += 1) expect(off.take('alice', 0n).allowed).toBe(true);
  });

  it('refuses validators whose rate rounds to nothing, telling them to wait a minute', () => {
    const limiter = new StakeRateLimiter({ perThousandTaoPerMinute: 60, minPerMinute: 0, clock: () => 0 });
    expect(limiter.take('dust', 0n)).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });
});
