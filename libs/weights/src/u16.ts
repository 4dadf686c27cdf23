import { WeightsError, WeightsErrorCode } from './errors';

/** The largest u16: the chain's weight scale. */
export const U16_MAX = 65_535;

/** Weights in the form set_weights takes: parallel u16 vectors. */
export interface EmitWeights {
  uids: number[];
  weights: number[];
}

/** Weights keyed by uid (number or numeric string) or by hotkey (ss58). */
export type WeightsInput = Readonly<Record<string, number>> | ReadonlyMap<string | number, number>;

function invalid(message: string): WeightsError {
  return new WeightsError(WeightsErrorCode.InvalidWeights, message);
}

function assertWeights(weights: readonly number[]): void {
  weights.forEach((weight, index) => {
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw invalid(`weight #${index} is not a finite number (${String(weight)})`);
    }
    if (weight < 0)
      throw invalid(`weight #${index} is negative (${weight}); the chain has no negative weights`);
  });
}

function assertUids(uids: readonly number[]): void {
  const seen = new Set<number>();
  uids.forEach((uid, index) => {
    if (!Number.isInteger(uid) || uid < 0 || uid > U16_MAX) {
      throw invalid(`uid #${index} is not a u16 (${String(uid)})`);
    }
    if (seen.has(uid)) throw invalid(`uid ${uid} appears twice; the chain rejects duplicate uids`);
    seen.add(uid);
  });
}

/**
 * bittensor's convert_weights_and_uids_for_emit: scales by the largest weight so it becomes 65535, rounds
 * half up, and drops entries that round to zero, keeping the input order. All-zero input gives empty vectors.
 */
export function convertWeightsForEmit(uids: readonly number[], weights: readonly number[]): EmitWeights {
  if (uids.length !== weights.length) {
    throw invalid(`uids and weights differ in length (${uids.length} and ${weights.length})`);
  }
  assertUids(uids);
  assertWeights(weights);
  const max = weights.reduce((a, b) => Math.max(a, b), 0);
  const result: EmitWeights = { uids: [], weights: [] };
  if (max === 0) return result;
  weights.forEach((weight, index) => {
    const scaled = Math.min(U16_MAX, Math.round((weight / max) * U16_MAX));
    if (scaled !== 0) {
      result.uids.push(uids[index] ?? 0);
      result.weights.push(scaled);
    }
  });
  return result;
}

/**
 * bittensor's normalize_max_weight: normalises to sum 1 with no entry above `limit`, lowering the largest
 * entries to a common cutoff. When the limit cannot be met (n · limit ≤ 1) or all are zero, the result is uniform.
 */
export function normalizeMaxWeight(input: readonly number[], limit: number): number[] {
  assertWeights(input);
  // The result does not depend on scale; dividing by the max keeps tiny (subnormal) inputs exact enough.
  const largest = input.reduce((a, b) => Math.max(a, b), 0);
  const weights = largest > 0 ? input.map((weight) => weight / largest) : input;
  if (!(limit > 0)) throw invalid(`max weight limit must be positive, got ${limit}`);
  const n = weights.length;
  if (n === 0) return [];
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0 || n * limit <= 1) return weights.map(() => 1 / n);
  if (Math.max(...weights) / total <= limit) return weights.map((weight) => weight / total);
  // Cap the k largest at c with c = limit · (k · c + rest), rest = sum of the others; pick the smallest k
  // for which every capped entry is at least c and every uncapped one at most c.
  const sorted = [...weights].sort((a, b) => b - a);
  // rest[k]: sum of all but the k largest, summed from the small end so no cancellation creeps in
  const rest = new Array<number>(n + 1).fill(0);
  for (let k = n - 1; k >= 0; k--) rest[k] = (rest[k + 1] ?? 0) + (sorted[k] ?? 0);
  let cutoff = 0;
  for (let k = 1; k < n && k * limit < 1; k++) {
    const candidate = (limit * (rest[k] ?? 0)) / (1 - k * limit);
    if ((sorted[k - 1] ?? 0) >= candidate && (sorted[k] ?? 0) <= candidate) {
      cutoff = candidate;
      break;
    }
  }
  if (cutoff === 0) return weights.map(() => 1 / n);
  const capped = weights.map((weight) => Math.min(weight, cutoff));
  const cappedTotal = capped.reduce((a, b) => a + b, 0);
  return capped.map((weight) => weight / cappedTotal);
}

/** subtensor's check_vec_max_limited in exact integer arithmetic: max/sum ≤ limit/65535. */
export function withinMaxWeightLimit(weights: readonly number[], maxWeightLimit: number): boolean {
  if (weights.length === 0 || maxWeightLimit >= U16_MAX) return true;
  const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
  if (sum === 0n) return true;
  const max = BigInt(Math.max(...weights));
  return max * BigInt(U16_MAX) <= BigInt(maxWeightLimit) * sum;
}

export interface PrepareWeightsOptions {
  /** Resolves a hotkey key to its uid on the subnet; without it only uid keys are accepted. */
  uidOf?: (hotkey: string) => number | undefined;
  /** The subnet's MaxWeightsLimit (u16); entries are capped so none exceeds limit/65535 of the total. */
  maxWeightLimit?: number;
  /** The subnet's MinAllowedWeights; fewer non-zero weights are rejected, as the chain would. */
  minAllowedWeights?: number;
  /** Number of neurons on the subnet (SubnetworkN): uids must be below it. */
  subnetSize?: number;
}

function entriesOf(input: WeightsInput): [string, number][] {
  if (input instanceof Map) {
    return [...(input as ReadonlyMap<string | number, number>).entries()].map(([key, value]) => [
      String(key),
      value,
    ]);
  }
  return Object.entries(input as Readonly<Record<string, number>>);
}

/** Turns `{hotkey|uid: weight}` into uid keys, in input order. */
export function resolveWeightKeys(
  input: WeightsInput,
  uidOf?: (hotkey: string) => number | undefined,
): { uids: number[]; weights: number[] } {
  const uids: number[] = [];
  const weights: number[] = [];
  for (const [key, weight] of entriesOf(input)) {
    let uid: number | undefined;
    if (/^\d+$/.test(key)) uid = Number(key);
    else uid = uidOf?.(key);
    if (uid === undefined) throw invalid(`${key} is not a uid or a hotkey registered on the subnet`);
    uids.push(uid);
    weights.push(weight);
  }
  return { uids, weights };
}

/**
 * The one conversion from scores to what set_weights takes: resolves hotkeys, validates, caps to the
 * subnet's max weight limit, scales to u16 (largest = 65535), drops zeros and checks the subnet's minimum.
 * A vector it produced goes through it again unchanged (under the same limit).
 */
export function prepareWeights(input: WeightsInput, options: PrepareWeightsOptions = {}): EmitWeights {
  const { uids, weights } = resolveWeightKeys(input, options.uidOf);
  assertUids(uids);
  assertWeights(weights);
  if (options.subnetSize !== undefined) {
    const outside = uids.find((uid) => uid >= (options.subnetSize ?? 0));
    if (outside !== undefined) {
      throw invalid(`uid ${outside} does not exist on a subnet of ${options.subnetSize} neurons`);
    }
  }
  const limit = options.maxWeightLimit ?? U16_MAX;
  let emit = convertWeightsForEmit(uids, weights);
  if (limit < U16_MAX && !withinMaxWeightLimit(emit.weights, limit)) {
    // Rounding to u16 can push a capped entry a hair over the limit: aim a little lower until it holds.
    let target = limit / U16_MAX;
    for (let attempt = 0; ; attempt++) {
      emit = convertWeightsForEmit(uids, normalizeMaxWeight(weights, target));
      if (withinMaxWeightLimit(emit.weights, limit)) break;
      if (attempt >= 12) {
        throw invalid(
          `${emit.uids.length} non-zero weights cannot stay within the max weight limit ${limit}/${U16_MAX}; ` +
            `at least ${Math.ceil(U16_MAX / limit)} are needed`,
        );
      }
      target *= 1 - 1e-6 * 2 ** attempt;
    }
  }
  if (options.minAllowedWeights !== undefined) {
    const required = Math.min(options.minAllowedWeights, options.subnetSize ?? Number.POSITIVE_INFINITY);
    if (emit.uids.length < required) {
      throw invalid(
        `${emit.uids.length} non-zero weights is below the subnet's minimum of ${required} (MinAllowedWeights)`,
      );
    }
  }
  return emit;
}
