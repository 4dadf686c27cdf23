import { describe, expect, it } from 'vitest';
import { hotkeys, minerHotkey, neuron, TAO, validator } from '../../test/fixtures';
import {
  capacityFor,
  quotaFor,
  quotaWindowAt,
  remainingFor,
  syntheticLimitFor,
  validatorStanding,
} from './quota-policy';

const rules = { minValidatorStake: 1_000n * TAO, requireValidatorPermit: true };

// Alice 600k, Bob 300k, Charlie 100k TAO: eligible; a permit holder below the minimum and a staked miner are not.
const metagraph = [
  validator(0, hotkeys.alice, 600_000n),
  validator(1, hotkeys.bob, 300_000n),
  validator(2, hotkeys.charlie, 100_000n),
  validator(3, hotkeys.dave, 999n),
  neuron(4, minerHotkey(4), { stake: 50_000n * TAO }),
];

describe('the quota formula', () => {
  it('shares each miner in proportion to the stake of the eligible validators', () => {
    const alice = validatorStanding(metagraph, hotkeys.alice, rules);
    expect(alice).toMatchObject({
      uid: 0,
      eligible: true,
      stake: 600_000n * TAO,
      totalEligibleStake: 1_000_000n * TAO,
      eligibleValidators: 3,
    });
    // floor(256 × 0.6), floor(256 × 0.3), floor(256 × 0.1)
    expect(quotaFor(256, alice)).toBe(153);
    expect(quotaFor(256, validatorStanding(metagraph, hotkeys.bob, rules))).toBe(76);
    expect(quotaFor(256, validatorStanding(metagraph, hotkeys.charlie, rules))).toBe(25);
    expect(quotaFor(1_000, alice)).toBe(600);
  });

  it('gives every eligible validator at least 1', () => {
    const tiny = [...metagraph, validator(5, hotkeys.eve, 1_000n)];
    const eve = validatorStanding(tiny, hotkeys.eve, rules);
    expect(eve.eligible).toBe(true);
    expect(quotaFor(256, eve)).toBe(1);
  });

  it('gives nothing to a validator below the minimum stake, without a permit, or not registered', () => {
    expect(quotaFor(256, validatorStanding(metagraph, hotkeys.dave, rules))).toBe(0);
    const noPermit = [validator(0, hotkeys.alice, 600_000n, false), validator(1, hotkeys.bob, 300_000n)];
    expect(quotaFor(256, validatorStanding(noPermit, hotkeys.alice, rules))).toBe(0);
    // ...unless permits are not required: then Alice counts and shares with Bob.
    const open = validatorStanding(noPermit, hotkeys.alice, { ...rules, requireValidatorPermit: false });
    expect(quotaFor(256, open)).toBe(170);
    const stranger = validatorStanding(metagraph, hotkeys.ferdie, rules);
    expect(stranger).toMatchObject({ uid: undefined, eligible: false });
    expect(quotaFor(256, stranger)).toBe(0);
  });

  it('is exact on rao amounts beyond 2^53', () => {
    const huge = [
      neuron(0, hotkeys.alice, { stake: 9_007_199_254_740_993n, validatorPermit: true }),
      neuron(1, hotkeys.bob, { stake: 9_007_199_254_740_993n * 2n, validatorPermit: true }),
    ];
    expect(quotaFor(3_000, validatorStanding(huge, hotkeys.alice, rules))).toBe(1_000);
  });

  it('shares equally when every eligible validator has zero stake', () => {
    const zero = [validator(0, hotkeys.alice, 0n), validator(1, hotkeys.bob, 0n)];
    expect(quotaFor(256, validatorStanding(zero, hotkeys.alice, { ...rules, minValidatorStake: 0n }))).toBe(
      128,
    );
  });
});

describe('the synthetic share', () => {
  it('is floor(quota × share), at least 1 when the share is above 0', () => {
    expect(syntheticLimitFor(100, 0.3)).toBe(30);
    expect(syntheticLimitFor(30, 0.3)).toBe(9);
    expect(syntheticLimitFor(153, 0.3)).toBe(45);
    expect(syntheticLimitFor(1, 0.3)).toBe(1);
    expect(syntheticLimitFor(10, 0)).toBe(0);
    expect(syntheticLimitFor(10, 1)).toBe(10);
    expect(syntheticLimitFor(0, 0.3)).toBe(0);
  });

  it('leaves organic work the whole quota, synthetic work only its share', () => {
    expect(remainingFor('organic', 100, 30, { total: 40, synthetic: 30 })).toBe(60);
    expect(remainingFor('synthetic', 100, 30, { total: 40, synthetic: 30 })).toBe(0);
    expect(remainingFor('synthetic', 100, 30, { total: 10, synthetic: 5 })).toBe(25);
    // Organic work can take what synthetic work could have used.
    expect(remainingFor('synthetic', 100, 30, { total: 95, synthetic: 5 })).toBe(5);
    expect(remainingFor('organic', 100, 30, { total: 120, synthetic: 0 })).toBe(0);
  });
});

describe('quota windows', () => {
  it('are consecutive and aligned on the epoch', () => {
    expect(quotaWindowAt(1_200_000, 600_000)).toEqual({ index: 2, startsAt: 1_200_000, endsAt: 1_800_000 });
    expect(quotaWindowAt(1_799_999, 600_000).index).toBe(2);
    expect(quotaWindowAt(1_800_000, 600_000).index).toBe(3);
  });
});

describe('miner capacity', () => {
  const capacity = { defaultCapacity: 256, minCapacity: 16, maxCapacity: 4096 };

  it('is the default unless the miner declares one, which is clamped to the range', () => {
    expect(capacityFor(undefined, capacity)).toEqual({ capacity: 256, declared: false });
    expect(capacityFor(1_000, capacity)).toEqual({ capacity: 1_000, declared: true });
    expect(capacityFor(1, capacity)).toEqual({ capacity: 16, declared: true });
    expect(capacityFor(1_000_000, capacity)).toEqual({ capacity: 4096, declared: true });
  });
});
