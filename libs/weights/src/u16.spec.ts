import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWeightsError, WeightsErrorCode } from './errors';
import {
  U16_MAX,
  convertWeightsForEmit,
  normalizeMaxWeight,
  prepareWeights,
  resolveWeightKeys,
  withinMaxWeightLimit,
} from './u16';

function expectInvalid(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(isWeightsError(error)).toBe(true);
    expect(error).toMatchObject({ code: WeightsErrorCode.InvalidWeights });
    return;
  }
  throw new Error('expected an InvalidWeights WeightsError');
}

// Scores as a scorer produces them: zero or a normal double (subnormals lose the precision any ratio needs).
const weightArb = fc.oneof(
  fc.constant(0),
  fc.double({ min: 1e-12, max: 1e6, noNaN: true, noDefaultInfinity: true }),
);
const uidsAndWeights = fc
  .uniqueArray(fc.integer({ min: 0, max: 4095 }), { minLength: 1, maxLength: 64 })
  .chain((uids) =>
    fc.tuple(fc.constant(uids), fc.array(weightArb, { minLength: uids.length, maxLength: uids.length })),
  );

describe('convertWeightsForEmit', () => {
  it('scales so the largest is 65535 and drops zeros (bittensor convert_weights_and_uids_for_emit)', () => {
    expect(convertWeightsForEmit([0, 1, 2, 3], [0.5, 0.25, 0, 1])).toEqual({
      uids: [0, 1, 3],
      weights: [32768, 16384, 65535],
    });
    expect(convertWeightsForEmit([7], [3])).toEqual({ uids: [7], weights: [65535] });
    // 1e-6 of the max rounds to 0 and is dropped
    expect(convertWeightsForEmit([1, 2], [1, 1e-6])).toEqual({ uids: [1], weights: [65535] });
  });

  it('returns nothing for all-zero weights', () => {
    expect(convertWeightsForEmit([1, 2], [0, 0])).toEqual({ uids: [], weights: [] });
  });

  it('rejects NaN, infinities, negatives, bad uids and length mismatches', () => {
    expectInvalid(() => convertWeightsForEmit([1], [Number.NaN]));
    expectInvalid(() => convertWeightsForEmit([1], [Number.POSITIVE_INFINITY]));
    expectInvalid(() => convertWeightsForEmit([1], [-0.1]));
    expectInvalid(() => convertWeightsForEmit([-1], [1]));
    expectInvalid(() => convertWeightsForEmit([65_536], [1]));
    expectInvalid(() => convertWeightsForEmit([1.5], [1]));
    expectInvalid(() => convertWeightsForEmit([1, 1], [1, 2]));
    expectInvalid(() => convertWeightsForEmit([1, 2], [1]));
  });

  it('holds its invariants for any finite non-negative input', () => {
    fc.assert(
      fc.property(uidsAndWeights, ([uids, weights]) => {
        const emit = convertWeightsForEmit(uids, weights);
        expect(emit.uids.length).toBe(emit.weights.length);
        for (const value of emit.weights) {
          expect(Number.isInteger(value)).toBe(true);
          expect(value).toBeGreaterThan(0);
          expect(value).toBeLessThanOrEqual(U16_MAX);
        }
        if (weights.some((weight) => weight > 0)) expect(Math.max(...emit.weights)).toBe(U16_MAX);
        else expect(emit.uids).toEqual([]);
        // order preserved: the kept uids are a subsequence of the input, in input order
        const kept = uids.filter((uid) => emit.uids.includes(uid));
        expect(emit.uids).toEqual(kept);
        // zeros dropped, everything else kept when it does not round to zero
        uids.forEach((uid, i) => {
          const max = Math.max(...weights);
          const scaled = max === 0 ? 0 : Math.round(((weights[i] ?? 0) / max) * U16_MAX);
          expect(emit.uids.includes(uid)).toBe(scaled !== 0);
        });
      }),
    );
  });
});

describe('normalizeMaxWeight', () => {
  it('returns the plain normalisation when no entry exceeds the limit', () => {
    expect(normalizeMaxWeight([1, 1, 2], 0.5)).toEqual([0.25, 0.25, 0.5]);
  });

  it('caps the largest entries at a common cutoff', () => {
    const result = normalizeMaxWeight([10, 1, 1, 1, 1], 0.4);
    expect(result[0]).toBeCloseTo(0.4, 12);
    for (const value of result.slice(1)) expect(value).toBeCloseTo(0.15, 12);
  });

  it('is uniform when the limit cannot be met', () => {
    expect(normalizeMaxWeight([5, 1], 0.3)).toEqual([0.5, 0.5]);
    expect(normalizeMaxWeight([0, 0, 0], 0.5)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('sums to 1, respects the limit and keeps the order of the entries', () => {
    fc.assert(
      fc.property(
        fc.array(weightArb, { minLength: 2, maxLength: 40 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (weights, limit) => {
          // zeros stay zero, so only the non-zero entries can share the total
          fc.pre(weights.filter((weight) => weight > 0).length * limit > 1.001);
          const result = normalizeMaxWeight(weights, limit);
          const sum = result.reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(1, 9);
          for (const value of result) expect(value).toBeLessThanOrEqual(limit + 1e-9);
          for (let i = 0; i < weights.length; i++) {
            for (let j = 0; j < weights.length; j++) {
              if ((weights[i] ?? 0) < (weights[j] ?? 0))
                expect(result[i]).toBeLessThanOrEqual((result[j] ?? 0) + 1e-12);
            }
          }
        },
      ),
    );
  });
});

describe('prepareWeights', () => {
  const hotkeys = new Map([
    ['5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', 0],
    ['5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', 1],
  ]);

  it('resolves hotkeys and uid keys in input order', () => {
    expect(
      resolveWeightKeys({ '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty': 0.5, '7': 1 }, (hotkey) =>
        hotkeys.get(hotkey),
      ),
    ).toEqual({ uids: [7, 1], weights: [1, 0.5] });
    expect(
      resolveWeightKeys(
        new Map<string | number, number>([
          [3, 1],
          ['2', 2],
        ]),
      ),
    ).toEqual({
      uids: [3, 2],
      weights: [1, 2],
    });
  });

  it('rejects an unknown hotkey, a duplicate via hotkey and uid, and a uid beyond the subnet', () => {
    expectInvalid(() => prepareWeights({ '5Unknown': 1 }, { uidOf: (hotkey) => hotkeys.get(hotkey) }));
    expectInvalid(() =>
      prepareWeights(
        { '0': 1, '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY': 1 },
        { uidOf: (hotkey) => hotkeys.get(hotkey) },
      ),
    );
    expectInvalid(() => prepareWeights({ '9': 1 }, { subnetSize: 9 }));
  });

  it('checks the subnet minimum (capped at the subnet size, as the chain does)', () => {
    expectInvalid(() => prepareWeights({ '0': 1, '1': 0 }, { minAllowedWeights: 2 }));
    expect(prepareWeights({ '0': 1 }, { minAllowedWeights: 8, subnetSize: 1 })).toEqual({
      uids: [0],
      weights: [65535],
    });
  });

  it('caps to the max weight limit so that the chain check passes', () => {
    const emit = prepareWeights({ '0': 100, '1': 1, '2': 1, '3': 1, '4': 1 }, { maxWeightLimit: 26_214 });
    expect(withinMaxWeightLimit(emit.weights, 26_214)).toBe(true);
    expect(emit.uids).toEqual([0, 1, 2, 3, 4]);
    expect(Math.max(...emit.weights)).toBe(65_535);
  });

  it('always produces weights the chain max-weight check accepts when the limit can be met', () => {
    fc.assert(
      fc.property(uidsAndWeights, fc.integer({ min: 1000, max: 65_535 }), ([uids, weights], limit) => {
        const input = Object.fromEntries(uids.map((uid, i) => [String(uid), (weights[i] ?? 0) + 1]));
        fc.pre(uids.length * (limit / U16_MAX) > 1.01);
        const emit = prepareWeights(input, { maxWeightLimit: limit });
        expect(withinMaxWeightLimit(emit.weights, limit)).toBe(true);
        expect(Math.max(...emit.weights)).toBe(U16_MAX);
      }),
    );
  });

  it('leaves a vector it produced unchanged when it goes through again, so a second conversion is harmless', () => {
    fc.assert(
      fc.property(uidsAndWeights, fc.integer({ min: 1000, max: 65_535 }), ([uids, weights], limit) => {
        const input = new Map(uids.map((uid, i) => [uid, (weights[i] ?? 0) + 1e-3]));
        fc.pre(uids.length * (limit / U16_MAX) > 1.01);
        const once = prepareWeights(input, { maxWeightLimit: limit });
        const again = prepareWeights(new Map(once.uids.map((uid, i) => [uid, once.weights[i] ?? 0])), {
          maxWeightLimit: limit,
        });
        expect(again).toEqual(once);
      }),
    );
  });

  it('says so when too few weights exist to meet the limit', () => {
    expectInvalid(() => prepareWeights({ '0': 1, '1': 1 }, { maxWeightLimit: 10_000 }));
  });
});
