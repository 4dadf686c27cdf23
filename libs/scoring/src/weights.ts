import { type EmitWeights, isWeightsError, prepareWeights, U16_MAX } from '@vstack/weights';
import { invalidInput, invalidOptions, ScoringError, ScoringErrorCode } from './errors';
import type { MinerScoreRow } from './moving-score';

/** The default floor: the smallest share that counts towards MinAllowedWeights (see `WeightOptions.floor`). */
export const DEFAULT_WEIGHT_FLOOR = 1e-4;

export interface WeightOptions {
  /**
   * Relative weight of each task type in the mix; task types not listed are ignored. Without it every task type
   * that appears in the scores counts equally.
   */
  taskTypeWeights?: Readonly<Record<string, number>>;
  /** Largest share one miner may get, in (0, 1]: the subnet's MaxWeightsLimit / 65535 (default 1, no cap). */
  maxWeight?: number;
  /** The subnet's MinAllowedWeights: how many miners must get a non-zero weight (default 0). */
  minAllowedWeights?: number;
  /**
   * The smallest share that counts towards `minAllowedWeights`, and what every miner gets when too few reach it
   * (default 1e-4). Keep it above 1/65535 so floored miners stay non-zero when the chain scales weights to u16.
   */
  floor?: number;
}

/** Why no weights were produced. */
export type WeightsRefusal =
  /** No miner was given. */
  | 'no_miners'
  /** Every miner's mixed score is 0: nothing to reward, and the weights already on chain stay. */
  | 'no_scores';

/** A weight vector, or why there is none. */
export type WeightsResult =
  | {
      readonly ok: true;
      /** Weight per uid: finite, non-negative, summing to 1. */
      readonly weights: Readonly<Record<number, number>>;
      /**
       * The same weights as set_weights takes them, quantised by @vstack/weights as bittensor clients do: u16
       * values with the largest at 65535, zeros dropped, within the cap as the chain checks it, in input order.
       */
      readonly u16: EmitWeights;
      /** Miners whose share is at least the floor: those that count towards `minAllowedWeights`. */
      readonly minersAboveFloor: number;
      /** True when the floor was spread because fewer than `minAllowedWeights` miners were above it. */
      readonly floorApplied: boolean;
      /** False when the cap cannot hold (maxWeight · miners < 1); the vector is then uniform. */
      readonly capSatisfied: boolean;
    }
  | { readonly ok: false; readonly reason: WeightsRefusal };

function resolve(options: WeightOptions): Required<Omit<WeightOptions, 'taskTypeWeights'>> {
  const maxWeight = options.maxWeight ?? 1;
  const minAllowedWeights = options.minAllowedWeights ?? 0;
  const floor = options.floor ?? DEFAULT_WEIGHT_FLOOR;
  if (!(maxWeight > 0 && maxWeight <= 1)) {
    throw invalidOptions(`maxWeight must be in (0, 1], got ${String(maxWeight)}`);
  }
  if (!Number.isSafeInteger(minAllowedWeights) || minAllowedWeights < 0) {
    throw invalidOptions(
      `minAllowedWeights must be a non-negative integer, got ${String(minAllowedWeights)}`,
    );
  }
  if (!(floor > 0 && floor < 1)) throw invalidOptions(`floor must be in (0, 1), got ${String(floor)}`);
  return { maxWeight, minAllowedWeights, floor };
}

/** Normalised task type weights: those listed (or every task type present), with a positive total. */
function mixOf(
  rows: readonly MinerScoreRow[],
  taskTypeWeights?: Readonly<Record<string, number>>,
): [string, number][] {
  const entries: [string, number][] = taskTypeWeights
    ? Object.entries(taskTypeWeights)
    : [...new Set(rows.flatMap((row) => Object.keys(row.scores)))].map((taskType) => [taskType, 1]);
  for (const [taskType, weight] of entries) {
    if (!Number.isFinite(weight) || weight < 0) {
      throw invalidOptions(
        `the weight of task type ${taskType} must be a non-negative number, got ${weight}`,
      );
    }
  }
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (taskTypeWeights && !(total > 0)) {
    throw invalidOptions('taskTypeWeights must give some task type a weight');
  }
  return total > 0
    ? entries.filter(([, weight]) => weight > 0).map(([name, weight]) => [name, weight / total])
    : [];
}

/** Each miner's score mixed across task types: Σ share(task type) · score, a missing score counting 0. */
export function mixScores(
  rows: readonly MinerScoreRow[],
  taskTypeWeights?: Readonly<Record<string, number>>,
): number[] {
  const mix = mixOf(rows, taskTypeWeights);
  return rows.map((row) =>
    mix.reduce((sum, [taskType, share]) => {
      const score = row.scores[taskType] ?? 0;
      if (!Number.isFinite(score) || score < 0) {
        throw invalidInput(
          `uid ${row.uid}: score for ${taskType} must be a non-negative number, got ${score}`,
        );
      }
      return sum + share * score;
    }, 0),
  );
}

/**
 * Caps shares summing to 1 at `cap` and hands the excess to the others in proportion to their shares (water
 * filling), which keeps the order. When the miners with a share cannot absorb it all (fewer than 1/cap of them),
 * they get `cap` each and the rest is spread evenly over the miners without one. Needs cap · n ≥ 1.
 */
function capShares(shares: readonly number[], cap: number): number[] {
  const n = shares.length;
  const order = shares.map((_, index) => index).sort((a, b) => (shares[b] ?? 0) - (shares[a] ?? 0));
  const sorted = order.map((index) => shares[index] ?? 0);
  // rest[k]: the sum of all but the k largest, summed from the small end so zeros stay exactly zero
  const rest = new Array<number>(n + 1).fill(0);
  for (let k = n - 1; k >= 0; k--) rest[k] = (rest[k + 1] ?? 0) + (sorted[k] ?? 0);
  const result = new Array<number>(n).fill(0);
  let capped = 0;
  // share / rest before multiplying: the quotient is at most 1, where remaining / rest could overflow.
  const scaled = (rank: number): number => ((sorted[rank] ?? 0) / (rest[capped] ?? 0)) * (1 - capped * cap);
  while (capped < n && (rest[capped] ?? 0) > 0 && scaled(capped) > cap) capped++;
  if ((rest[capped] ?? 0) > 0) {
    order.forEach((index, rank) => {
      result[index] = rank < capped ? cap : Math.min(cap, scaled(rank));
    });
    return result;
  }
  // Every miner with a share is capped and some weight is left: spread it over the others.
  const unscored = n - capped;
  const spread = unscored > 0 ? Math.max(0, 1 - capped * cap) / unscored : 0;
  order.forEach((index, rank) => {
    result[index] = rank < capped ? cap : spread;
  });
  return result;
}

/**
 * The weight vector from per-miner scores: mix across task types, normalise to sum 1, and when fewer than
 * `minAllowedWeights` miners hold at least `floor`, add `floor` to every miner and renormalise (as subtensor
 * clients do, so the chain accepts the vector); then cap each miner at `maxWeight`. All-zero scores are refused
 * (`no_scores`): the weights already on chain stay rather than being replaced by noise. Pass every neuron of the
 * subnet, with 0 where unscored. The result carries the u16 vector too, quantised by @vstack/weights (the
 * conversion libs/chain uses), so what goes on chain is exactly what was computed here.
 */
export function computeWeights(rows: readonly MinerScoreRow[], options: WeightOptions = {}): WeightsResult {
  const { maxWeight, minAllowedWeights, floor } = resolve(options);
  const seen = new Set<number>();
  for (const { uid } of rows) {
    if (!Number.isInteger(uid) || uid < 0 || uid > 65_535) {
      throw invalidInput(`uid must be a u16, got ${uid}`);
    }
    if (seen.has(uid)) throw invalidInput(`uid ${uid} is listed twice`);
    seen.add(uid);
  }
  if (rows.length === 0) return { ok: false, reason: 'no_miners' };
  const mixed = mixScores(rows, options.taskTypeWeights);
  // Dividing by the largest first keeps tiny (even subnormal) scores from vanishing in the sum.
  const largest = mixed.reduce((max, score) => Math.max(max, score), 0);
  if (!(largest > 0)) return { ok: false, reason: 'no_scores' };
  const scaled = mixed.map((score) => score / largest);
  const total = scaled.reduce((sum, score) => sum + score, 0);
  const n = rows.length;
  let shares = scaled.map((score) => score / total);
  const minersAboveFloor = shares.filter((share) => share >= floor).length;
  const floorApplied = minersAboveFloor < Math.min(minAllowedWeights, n);
  if (floorApplied) shares = shares.map((share) => (share + floor) / (1 + n * floor));
  const capSatisfied = maxWeight * n >= 1;
  if (!capSatisfied) shares = shares.map(() => 1 / n);
  else if (maxWeight < 1) shares = capShares(shares, maxWeight);
  const weights: Record<number, number> = {};
  rows.forEach((row, index) => {
    weights[row.uid] = shares[index] ?? 0;
  });
  const u16 = quantise(
    rows.map((row) => row.uid),
    shares,
    capSatisfied ? maxWeightLimitOf(maxWeight) : U16_MAX,
  );
  return { ok: true, weights, u16, minersAboveFloor, floorApplied, capSatisfied };
}

/**
 * The u16 MaxWeightsLimit that holds a share cap: the subnet's own value when the cap came from it
 * (limit / 65535), else the smallest limit that admits the cap, so a feasible cap stays feasible.
 */
export function maxWeightLimitOf(maxWeight: number): number {
  return Math.min(U16_MAX, Math.ceil(maxWeight * U16_MAX - 1e-6));
}

function quantise(uids: number[], shares: number[], maxWeightLimit: number): EmitWeights {
  try {
    return prepareWeights(new Map(uids.map((uid, index) => [uid, shares[index] ?? 0])), { maxWeightLimit });
  } catch (error) {
    // The shares are validated and capped above; a refusal here is a bug in this lib, not bad input.
    if (isWeightsError(error)) {
      throw new ScoringError(ScoringErrorCode.InvalidInput, `cannot quantise the weights: ${error.message}`);
    }
    throw error;
  }
}
