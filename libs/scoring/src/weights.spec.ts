import { convertWeightsForEmit, U16_MAX, withinMaxWeightLimit } from '@vstack/weights';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScoringErrorCode } from './errors';
import type { MinerScoreRow } from './moving-score';
import {
  computeWeights,
  maxWeightLimitOf,
  mixScores,
  type WeightOptions,
  type WeightsResult,
} from './weights';

function rowsOf(scores: Record<number, number>, taskType = 'arithmetic'): MinerScoreRow[] {
  return Object.entries(scores).map(([uid, score]) => ({ uid: Number(uid), scores: { [taskType]: score } }));
}

function weightsOf(result: WeightsResult): Record<number, number> {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.weights;
}

function expectWeights(result: WeightsResult, expected: Record<number, number>): void {
  const weights = weightsOf(result);
  expect(Object.keys(weights)).toEqual(Object.keys(expected));
  for (const [uid, weight] of Object.entries(expected)) expect(weights[Number(uid)]).toBeCloseTo(weight, 12);
}

describe('computeWeights', () => {
  it('normalises scores to sum to 1', () => {
    expectWeights(computeWeights(rowsOf({ 1: 0.6, 2: 0.15, 3: 0.0 })), { 1: 0.8, 2: 0.2, 3: 0 });
  });

  it('quantises to u16 as bittensor clients do: largest 65535, rounded half up, zeros dropped', () => {
    const result = computeWeights(rowsOf({ 3: 0.15, 1: 0.6, 2: 0 }));
    expect(result).toMatchObject({ u16: { uids: [1, 3], weights: [65_535, 16_384] } });
  });

  it('quantises within the cap exactly as the chain checks it', () => {
    const result = computeWeights(rowsOf({ 1: 0.7, 2: 0.2, 3: 0.1 }), { maxWeight: 32_768 / U16_MAX });
    if (!result.ok) throw new Error(result.reason);
    expect(result.u16.uids).toEqual([1, 2, 3]);
    expect(result.u16.weights[0]).toBe(U16_MAX);
    expect(withinMaxWeightLimit(result.u16.weights, 32_768)).toBe(true);
    expect(withinMaxWeightLimit(result.u16.weights, 32_767)).toBe(false);
  });

  it('recovers the subnet max weight limit from the cap it was turned into', () => {
    for (let limit = 1; limit <= U16_MAX; limit += 97) expect(maxWeightLimitOf(limit / U16_MAX)).toBe(limit);
    expect(maxWeightLimitOf(1)).toBe(U16_MAX);
    expect(maxWeightLimitOf(0.3)).toBe(19_661);
  });

  it('mixes task types by their configured weights', () => {
    const rows: MinerScoreRow[] = [
      { uid: 1, scores: { arithmetic: 1, summarization: 0 } },
      { uid: 2, scores: { arithmetic: 0, summarization: 1 } },
      { uid: 3, scores: { summarization: 1, retired: 1 } },
    ];
    expect(mixScores(rows, { arithmetic: 3, summarization: 1 })).toEqual([0.75, 0.25, 0.25]);
    expectWeights(computeWeights(rows, { taskTypeWeights: { arithmetic: 3, summarization: 1 } }), {
      1: 0.6,
      2: 0.2,
      3: 0.2,
    });
    // Without configured weights every task type present counts equally.
    expect(mixScores(rows)).toEqual([1 / 3, 1 / 3, 2 / 3]);
  });

  it('caps a miner at the max weight and hands the excess to the others in proportion', () => {
    const result = computeWeights(rowsOf({ 1: 0.7, 2: 0.2, 3: 0.1 }), { maxWeight: 0.5 });
    expectWeights(result, { 1: 0.5, 2: 1 / 3, 3: 1 / 6 });
    expect(result).toMatchObject({ capSatisfied: true, floorApplied: false, minersAboveFloor: 3 });
  });

  it('spreads what the scored miners cannot take over the others when they are too few for the cap', () => {
    expectWeights(computeWeights(rowsOf({ 1: 0.6, 2: 0.4, 3: 0, 4: 0 }), { maxWeight: 0.3 }), {
      1: 0.3,
      2: 0.3,
      3: 0.2,
      4: 0.2,
    });
  });

  it('caps correctly when some shares are vanishingly small', () => {
    const rows = [1, 1, 1, 1e-309, 1e-309, 1e-309, 1e-309, 1e-309].map((score, uid) => ({
      uid,
      scores: { arithmetic: score },
    }));
    const weights = Object.values(weightsOf(computeWeights(rows, { maxWeight: 1 / 7 })));
    expect(weights.slice(0, 3)).toEqual([1 / 7, 1 / 7, 1 / 7]);
    for (const weight of weights.slice(3)) expect(weight).toBeCloseTo(4 / 35, 12);
  });

  it('falls back to uniform weights when the cap cannot hold at all', () => {
    const result = computeWeights(rowsOf({ 1: 1, 2: 0.5, 3: 0 }), { maxWeight: 0.2 });
    expectWeights(result, { 1: 1 / 3, 2: 1 / 3, 3: 1 / 3 });
    expect(result).toMatchObject({ capSatisfied: false });
  });

  it('spreads a small floor when fewer miners than MinAllowedWeights have a score', () => {
    const result = computeWeights(rowsOf({ 1: 1, 2: 0, 3: 0 }), { minAllowedWeights: 3, floor: 0.01 });
    expectWeights(result, { 1: 1.01 / 1.03, 2: 0.01 / 1.03, 3: 0.01 / 1.03 });
    expect(result).toMatchObject({ floorApplied: true, minersAboveFloor: 1 });
    // With enough scored miners nothing changes.
    expect(computeWeights(rowsOf({ 1: 1, 2: 1, 3: 0 }), { minAllowedWeights: 2 })).toMatchObject({
      floorApplied: false,
      weights: { 1: 0.5, 2: 0.5, 3: 0 },
    });
  });

  it('does not count a vanishingly small share towards MinAllowedWeights', () => {
    const result = computeWeights(rowsOf({ 1: 1, 2: 1e-9 }), { minAllowedWeights: 2 });
    expect(result).toMatchObject({ floorApplied: true, minersAboveFloor: 1 });
    expect(weightsOf(result)[2]).toBeGreaterThan(1e-5);
  });

  it('needs only every miner to be non-zero on a subnet smaller than MinAllowedWeights', () => {
    expect(computeWeights(rowsOf({ 1: 1, 2: 1 }), { minAllowedWeights: 8 })).toMatchObject({
      floorApplied: false,
    });
  });

  it('leaves the default floor large enough to survive scaling to u16 by the largest weight', () => {
    const scores: Record<number, number> = { 0: 1 };
    for (let uid = 1; uid < 4_096; uid++) scores[uid] = 0;
    const weights = Object.values(weightsOf(computeWeights(rowsOf(scores), { minAllowedWeights: 64 })));
    const largest = Math.max(...weights);
    expect(Math.min(...weights.map((weight) => Math.round((weight / largest) * 65_535)))).toBeGreaterThan(0);
  });

  it('refuses to make weights out of nothing', () => {
    expect(computeWeights([])).toEqual({ ok: false, reason: 'no_miners' });
    expect(computeWeights(rowsOf({ 1: 0, 2: 0 }))).toEqual({ ok: false, reason: 'no_scores' });
    expect(computeWeights(rowsOf({ 1: 1 }), { taskTypeWeights: { summarization: 1 } })).toEqual({
      ok: false,
      reason: 'no_scores',
    });
  });

  it('refuses invalid scores and options', () => {
    const input =
      (scores: Record<number, number>, options: WeightOptions = {}) =>
      () =>
        computeWeights(rowsOf(scores), options);
    const invalidInput = expect.objectContaining({ code: ScoringErrorCode.InvalidInput });
    const invalidOptions = expect.objectContaining({ code: ScoringErrorCode.InvalidOptions });
    expect(input({ 1: -0.1 })).toThrow(invalidInput);
    expect(input({ 1: Number.NaN })).toThrow(invalidInput);
    expect(input({ 70_000: 1 })).toThrow(invalidInput);
    expect(() => computeWeights([...rowsOf({ 1: 1 }), ...rowsOf({ 1: 0.5 })])).toThrow(/listed twice/);
    expect(input({ 1: 1 }, { maxWeight: 0 })).toThrow(invalidOptions);
    expect(input({ 1: 1 }, { maxWeight: 1.5 })).toThrow(invalidOptions);
    expect(input({ 1: 1 }, { minAllowedWeights: -1 })).toThrow(invalidOptions);
    expect(input({ 1: 1 }, { floor: 0 })).toThrow(invalidOptions);
    expect(input({ 1: 1 }, { taskTypeWeights: { arithmetic: 0 } })).toThrow(invalidOptions);
    expect(input({ 1: 1 }, { taskTypeWeights: { arithmetic: -1, other: 2 } })).toThrow(invalidOptions);
  });
});

describe('computeWeights properties', () => {
  const taskTypes = ['arithmetic', 'summarization', 'text-generation'] as const;
  const score = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));
  const rows = fc
    .uniqueArray(fc.integer({ min: 0, max: 65_535 }), { minLength: 1, maxLength: 80 })
    .chain((uids) =>
      fc.tuple(
        ...uids.map((uid) =>
          fc
            .record(
              { arithmetic: score, summarization: score, 'text-generation': score },
              { requiredKeys: [] },
            )
            .map((scores): MinerScoreRow => ({ uid, scores })),
        ),
      ),
    );
  const options = fc.record(
    {
      maxWeight: fc.oneof(
        fc.constant(1),
        fc.double({ min: 0.05, max: 0.6, noNaN: true }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
      ),
      minAllowedWeights: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 100 }),
      ),
      taskTypeWeights: fc
        .tuple(...taskTypes.map(() => fc.double({ min: 0, max: 10, noNaN: true })))
        .filter((weights) => weights.some((weight) => weight > 0))
        .map((weights) => Object.fromEntries(taskTypes.map((taskType, i) => [taskType, weights[i] ?? 0]))),
    },
    { requiredKeys: ['maxWeight', 'minAllowedWeights'] },
  );

  it('gives finite, non-negative weights summing to 1, within the cap when it can hold, enough of them, in score order', () => {
    fc.assert(
      fc.property(rows, options, (input, weightOptions) => {
        const result = computeWeights(input, weightOptions);
        const mixed = mixScores(input, weightOptions.taskTypeWeights);
        if (!result.ok) {
          expect(result.reason).toBe('no_scores');
          expect(mixed.every((value) => value === 0)).toBe(true);
          return;
        }
        const weights = input.map(({ uid }) => result.weights[uid] ?? Number.NaN);
        expect(Object.keys(result.weights)).toHaveLength(input.length);
        for (const weight of weights) expect(Number.isFinite(weight) && weight >= 0).toBe(true);
        expect(weights.reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1, 9);
        if (weightOptions.maxWeight * input.length >= 1) {
          expect(result.capSatisfied).toBe(true);
          expect(Math.max(...weights)).toBeLessThanOrEqual(weightOptions.maxWeight + 1e-12);
        }
        // Enough miners keep a weight that survives scaling to u16 by the largest, as the chain does.
        const largest = Math.max(...weights);
        const kept = weights.filter((weight) => (weight / largest) * 65_535 >= 0.5).length;
        expect(kept).toBeGreaterThanOrEqual(Math.min(weightOptions.minAllowedWeights, input.length));
        mixed.forEach((a, i) => {
          mixed.forEach((b, j) => {
            if (a > b) expect(weights[i] ?? 0).toBeGreaterThanOrEqual((weights[j] ?? 0) - 1e-12);
          });
        });
        // The u16 vector: what set_weights takes, in input order, with the same ranking.
        const { uids, weights: values } = result.u16;
        const inputOrder = input.map(({ uid }) => uid).filter((uid) => uids.includes(uid));
        expect(uids).toEqual(inputOrder);
        for (const value of values)
          expect(Number.isInteger(value) && value > 0 && value <= U16_MAX).toBe(true);
        expect(Math.max(...values)).toBe(U16_MAX);
        expect(uids.length).toBeGreaterThanOrEqual(Math.min(weightOptions.minAllowedWeights, input.length));
        if (result.capSatisfied) {
          expect(withinMaxWeightLimit(values, maxWeightLimitOf(weightOptions.maxWeight))).toBe(true);
        }
        if (weightOptions.maxWeight === 1) {
          expect(result.u16).toEqual(
            convertWeightsForEmit(
              input.map(({ uid }) => uid),
              weights,
            ),
          );
        }
        const quantised = input.map(({ uid }) => values[uids.indexOf(uid)] ?? 0);
        mixed.forEach((a, i) => {
          mixed.forEach((b, j) => {
            if (a > b) expect(quantised[i] ?? 0).toBeGreaterThanOrEqual(quantised[j] ?? 0);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('holds any feasible cap, handing weight to unscored miners only when the scored ones cannot take it all', () => {
    const cappedRows = fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 1, noNaN: true })), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(cappedRows, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (scores, t) => {
        const n = scores.length;
        const maxWeight = Math.min(1, 1 / n + t * (1 - 1 / n));
        const result = computeWeights(
          scores.map((score, uid) => ({ uid, scores: { arithmetic: score } })),
          { maxWeight },
        );
        const scored = scores.filter((score) => score > 0).length;
        if (scored === 0) return;
        const weights = scores.map((_, uid) => weightsOf(result)[uid] ?? Number.NaN);
        expect(weights.reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1, 9);
        expect(Math.max(...weights)).toBeLessThanOrEqual(maxWeight + 1e-12);
        if (result.ok)
          expect(withinMaxWeightLimit(result.u16.weights, maxWeightLimitOf(maxWeight))).toBe(true);
        const unscoredWeight = weights.filter((_, uid) => scores[uid] === 0).reduce((a, b) => a + b, 0);
        if (scored * maxWeight >= 1) expect(unscoredWeight).toBe(0);
        else expect(unscoredWeight).toBeCloseTo(1 - scored * maxWeight, 9);
        scores.forEach((a, i) => {
          scores.forEach((b, j) => {
            if (a > b) expect(weights[i] ?? 0).toBeGreaterThanOrEqual((weights[j] ?? 0) - 1e-12);
          });
        });
      }),
      { numRuns: 500 },
    );
  });
});
