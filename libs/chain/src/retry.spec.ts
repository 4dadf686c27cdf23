import { describe, expect, it } from 'vitest';
import { ChainErrorCode, isChainError } from './errors';
import { backoffDelay, retryWithBackoff, type BackoffOptions } from './retry';

const backoff: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0 };

/** A clock that advances only when the code under test sleeps. */
function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let time = 0;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: (ms) => {
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

describe('backoffDelay', () => {
  it('grows by the factor up to the cap, less up to the jitter', () => {
    expect([0, 1, 2, 3, 4, 5].map((round) => backoffDelay(round, backoff))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(0, { ...backoff, jitter: 0.5 }, () => 1)).toBe(50);
    expect(backoffDelay(0, { ...backoff, jitter: 0.5 }, () => 0)).toBe(100);
  });
});

describe('retryWithBackoff', () => {
  it('tries every endpoint of a round back to back, then waits with growing delays', async () => {
    const clock = fakeClock();
    let calls = 0;
    const attempts = await retryWithBackoff({
      endpointCount: 2,
      attempt: () => (++calls < 6 ? Promise.reject(new Error('down')) : Promise.resolve()),
      backoff,
      now: clock.now,
      sleep: clock.sleep,
    });
    expect(attempts).toBe(6);
    // failures 1..5: a wait after each full round (2 and 4), none inside a round
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('fails over to the second endpoint without waiting', async () => {
    const clock = fakeClock();
    const tried: number[] = [];
    let index = 0;
    await retryWithBackoff({
      endpointCount: 2,
      attempt: () => {
        tried.push(index);
        index = (index + 1) % 2;
        return tried.length === 1 ? Promise.reject(new Error('first is dead')) : Promise.resolve();
      },
      backoff,
      now: clock.now,
      sleep: clock.sleep,
    });
    expect(tried).toEqual([0, 1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up with ConnectionFailed once the budget is spent, naming the last error', async () => {
    const clock = fakeClock();
    const failures: number[] = [];
    const error = await retryWithBackoff({
      endpointCount: 1,
      attempt: () => Promise.reject(new Error('ECONNREFUSED')),
      backoff,
      timeoutMs: 1_000,
      now: clock.now,
      sleep: clock.sleep,
      onFailure: (_error, attempt) => failures.push(attempt),
    }).catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.ConnectionFailed)).toBe(true);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(clock.now()).toBeLessThanOrEqual(1_000);
    expect(failures.length).toBeGreaterThan(2);
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    const clock = fakeClock();
    const error = await retryWithBackoff({
      endpointCount: 1,
      attempt: () => {
        abort.abort();
        return Promise.reject(new Error('down'));
      },
      backoff,
      signal: abort.signal,
      now: clock.now,
      sleep: clock.sleep,
    }).catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.ConnectionFailed)).toBe(true);
    expect((error as Error).message).toContain('cancelled');
  });
});
