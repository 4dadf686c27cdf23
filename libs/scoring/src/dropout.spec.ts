import { describe, expect, it } from 'vitest';
import { applyDropout } from './dropout';
import { ScoringErrorCode } from './errors';

const minute = 60_000;

/** Feeds results at the given times through the cap, as a service would, keeping the returned timestamps. */
function run(times: readonly number[], options = {}): ('scored' | 'unscored')[] {
  let scoredAt: readonly number[] = [];
  return times.map((now) => {
    const decision = applyDropout(scoredAt, now, options);
    scoredAt = decision.scoredAt;
    return decision.outcome;
  });
}

describe('applyDropout', () => {
  it('scores at most 4 results per miner per 10 minutes by default', () => {
    expect(run([0, 1, 2, 3, 4, 5 * minute])).toEqual([
      'scored',
      'scored',
      'scored',
      'scored',
      'unscored',
      'unscored',
    ]);
  });

  it('scores again once the oldest scored result leaves the sliding window', () => {
    expect(run([0, minute, 2 * minute, 3 * minute, 10 * minute - 1, 10 * minute])).toEqual([
      'scored',
      'scored',
      'scored',
      'scored',
      'unscored',
      'scored',
    ]);
  });

  it('says when the next result can be scored', () => {
    const full = applyDropout([0, minute, 2 * minute, 3 * minute], 4 * minute);
    expect(full).toEqual({
      outcome: 'unscored',
      scoredAt: [0, minute, 2 * minute, 3 * minute],
      nextSlotAt: 10 * minute,
    });
    const filling = applyDropout([minute, 0, 2 * minute], 3 * minute);
    expect(filling).toEqual({
      outcome: 'scored',
      scoredAt: [0, minute, 2 * minute, 3 * minute],
      nextSlotAt: 10 * minute,
    });
    expect(applyDropout([], 5).nextSlotAt).toBe(5);
  });

  it('forgets timestamps that left the window, so the stored list stays short', () => {
    const decision = applyDropout([-20 * minute, -11 * minute, -minute], 0);
    expect(decision.scoredAt).toEqual([-minute, 0]);
  });

  it('counts timestamps ahead of now (clock skew) as inside the window', () => {
    expect(applyDropout([1, 2, 3, 4], 0).outcome).toBe('unscored');
  });

  it('takes the cap and the window from options', () => {
    expect(run([0, 1, 2, 1_000], { maxScored: 2, windowMs: 1_000 })).toEqual([
      'scored',
      'scored',
      'unscored',
      'scored',
    ]);
  });

  it('refuses options that cannot work', () => {
    for (const options of [{ maxScored: 0 }, { maxScored: 1.5 }, { windowMs: 0 }, { windowMs: Number.NaN }]) {
      expect(() => applyDropout([], 0, options)).toThrow(
        expect.objectContaining({ code: ScoringErrorCode.InvalidOptions }),
      );
    }
  });
});
