import { describe, expect, it } from 'vitest';
import { type EpochInput, runEpoch, topKByStake } from './epoch';

const TAO = 1_000_000_000n;

function input(overrides: Partial<EpochInput> = {}): EpochInput {
  return {
    block: 100,
    // uids 0, 1 validate; 2, 3, 4 mine
    stake: [3000n * TAO, 1000n * TAO, 0n, 0n, 0n],
    validatorPermit: [true, true, false, false, false],
    lastUpdate: [90, 90, 0, 0, 0],
    blockAtRegistration: [0, 0, 0, 0, 0],
    weights: new Map([
      [
        0,
        [
          [2, 65535],
          [3, 21845],
        ],
      ],
      [
        1,
        [
          [2, 65535],
          [3, 65535],
        ],
      ],
    ]),
    activityCutoff: 5000,
    maxAllowedValidators: 2,
    emission: 1000n * TAO,
    ...overrides,
  };
}

describe('the simplified consensus', () => {
  it('gives incentive by the stake-weighted mean of validators’ weights', () => {
    const output = runEpoch(input());
    // S = [0.75, 0.25]; rows [0.75, 0.25] and [0.5, 0.5]; R = [0.6875, 0.3125]
    expect(output.incentive).toEqual([0, 0, Math.round(0.6875 * 65535), Math.round(0.3125 * 65535), 0]);
    expect(output.consensus.slice(2)).toEqual(output.incentive.slice(2));
    expect(output.trust).toEqual([0, 0, 65535, 65535, 0]);
  });

  it('pays dividends by stake times agreement with the incentive', () => {
    const output = runEpoch(input());
    const alice = 0.75 * (0.75 * 0.6875 + 0.25 * 0.3125);
    const bob = 0.25 * (0.5 * 0.6875 + 0.5 * 0.3125);
    expect(output.dividends[0]).toBe(Math.round((alice / (alice + bob)) * 65535));
    expect(output.dividends[1]).toBe(Math.round((bob / (alice + bob)) * 65535));
    expect(output.validatorTrust).toEqual([65535, 65535, 0, 0, 0]);
  });

  it('splits emission half to miners, half to validators, never more than there is', () => {
    const output = runEpoch(input());
    const total = output.emission.reduce((sum, value) => sum + value, 0n);
    expect(total).toBeLessThanOrEqual(1000n * TAO);
    expect(total).toBeGreaterThan(999n * TAO);
    expect(output.emission[2]! + output.emission[3]!).toBeLessThanOrEqual(500n * TAO);
    expect(Math.max(...output.pruningScores)).toBe(65535);
    expect(output.pruningScores[4]).toBe(0);
  });

  it('ignores self-weights, weights older than the target’s registration, and inactive validators', () => {
    const selfOnly = runEpoch(input({ weights: new Map([[0, [[0, 65535]]]]) }));
    expect(selfOnly.incentive).toEqual([0, 0, 0, 0, 0]);
    const outdated = runEpoch(input({ blockAtRegistration: [0, 0, 95, 0, 0] }));
    expect(outdated.incentive[2]).toBe(0);
    expect(outdated.incentive[3]).toBe(65535);
    const bobAsleep = runEpoch(input({ block: 6000, lastUpdate: [5990, 100, 0, 0, 0] }));
    expect(bobAsleep.dividends[1]).toBe(0);
    expect(bobAsleep.active).toEqual([true, false, false, false, false]);
  });

  it('hands validator permits to the top k by stake for the next epoch', () => {
    expect(runEpoch(input({ stake: [1n, 5n, 3n, 0n, 0n] })).validatorPermit).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(topKByStake([5n, 5n, 1n], 1)).toEqual([true, false, false]);
    expect(topKByStake([0n, 0n], 2)).toEqual([false, false]);
  });
});
