/** What one subnet's epoch reads, per uid. */
export interface EpochInput {
  block: number;
  /** Stake (alpha, rao) behind each uid's hotkey. */
  stake: readonly bigint[];
  /** Permits held during the epoch that ends now. */
  validatorPermit: readonly boolean[];
  lastUpdate: readonly number[];
  blockAtRegistration: readonly number[];
  /** Stored weight rows: uid -> [(target uid, u16 weight)]. */
  weights: ReadonlyMap<number, readonly (readonly [number, number])[]>;
  activityCutoff: number;
  maxAllowedValidators: number;
  /** Rao to hand out: what accumulated since the last epoch. */
  emission: bigint;
}

/** What the epoch writes back, per uid (u16 values are fractions of 65535, as subtensor stores them). */
export interface EpochOutput {
  active: boolean[];
  rank: number[];
  trust: number[];
  consensus: number[];
  incentive: number[];
  dividends: number[];
  validatorTrust: number[];
  pruningScores: number[];
  emission: bigint[];
  /** Permits for the next epoch: the top `maxAllowedValidators` uids by stake (stake > 0). */
  validatorPermit: boolean[];
}

const u16Max = 65_535;

function toU16(fraction: number): number {
  return Math.max(0, Math.min(u16Max, Math.round(fraction * u16Max)));
}

function normalise(values: readonly number[]): number[] {
  const sum = values.reduce((total, value) => total + value, 0);
  return sum > 0 ? values.map((value) => value / sum) : values.map(() => 0);
}

/** The top-k uids by stake (ties to the lower uid), only uids with stake. */
export function topKByStake(stake: readonly bigint[], k: number): boolean[] {
  const ranked = stake
    .map((amount, uid) => ({ amount, uid }))
    .filter(({ amount }) => amount > 0n)
    .sort((a, b) => (a.amount === b.amount ? a.uid - b.uid : a.amount > b.amount ? -1 : 1))
    .slice(0, Math.max(0, k));
  const permits = stake.map(() => false);
  for (const { uid } of ranked) permits[uid] = true;
  return permits;
}

/**
 * A simplified Yuma consensus, enough for a validator to see its weights take effect:
 *  1. A neuron is active when it set weights (or registered) within `activityCutoff` blocks.
 *  2. Validators are the active uids holding a permit; their stakes, normalised, are S.
 *  3. Each validator's weight row drops self-weights and weights on uids registered after the row was set,
 *     then is normalised to sum 1 (W).
 *  4. Consensus = rank = the stake-weighted mean of W per column (R = S·W, no clipping, no bonds);
 *     incentive = R normalised to sum 1; trust = 1 where R > 0; validator trust = the row's kept sum.
 *  5. Dividends: validator i earns S_i × Σ_j W_ij × incentive_j (agreeing with the others pays),
 *     normalised to sum 1.
 *  6. Emission: half to miners by incentive, half to validators by dividends (no owner cut); a half with
 *     nobody to receive it is not emitted. Pruning score = emission relative to the largest.
 *  7. Permits for the next epoch: the top-k uids by stake.
 */
export function runEpoch(input: EpochInput): EpochOutput {
  const n = input.stake.length;
  const uids = [...Array(n).keys()];
  const active = uids.map((uid) => (input.lastUpdate[uid] ?? 0) + input.activityCutoff >= input.block);
  const validatorStake = normalise(
    uids.map((uid) => (active[uid] && input.validatorPermit[uid] ? Number(input.stake[uid] ?? 0n) : 0)),
  );
  const rows = new Map<number, number[]>();
  const validatorTrust = uids.map(() => 0);
  for (const uid of uids) {
    if ((validatorStake[uid] ?? 0) === 0) continue;
    const row = uids.map(() => 0);
    for (const [target, weight] of input.weights.get(uid) ?? []) {
      if (target === uid || target >= n) continue;
      if ((input.lastUpdate[uid] ?? 0) <= (input.blockAtRegistration[target] ?? 0)) continue;
      row[target] = weight;
    }
    const normalised = normalise(row);
    if (normalised.some((value) => value > 0)) {
      rows.set(uid, normalised);
      validatorTrust[uid] = 1;
    }
  }
  const ranks = uids.map((target) => {
    let sum = 0;
    for (const [validator, row] of rows) sum += (validatorStake[validator] ?? 0) * (row[target] ?? 0);
    return sum;
  });
  const incentive = normalise(ranks);
  const dividends = normalise(
    uids.map((uid) => {
      const row = rows.get(uid);
      if (!row) return 0;
      return (
        (validatorStake[uid] ?? 0) *
        row.reduce((sum, weight, target) => sum + weight * (incentive[target] ?? 0), 0)
      );
    }),
  );
  const minersShare = input.emission / 2n;
  const validatorsShare = input.emission - minersShare;
  const share = (total: bigint, fraction: number) =>
    (total * BigInt(Math.round(fraction * 1e9))) / 1_000_000_000n;
  const emission = uids.map(
    (uid) => share(minersShare, incentive[uid] ?? 0) + share(validatorsShare, dividends[uid] ?? 0),
  );
  const largest = emission.reduce((max, value) => (value > max ? value : max), 0n);
  return {
    active,
    rank: incentive.map(toU16),
    trust: ranks.map((rank) => (rank > 0 ? u16Max : 0)),
    consensus: ranks.map(toU16),
    incentive: incentive.map(toU16),
    dividends: dividends.map(toU16),
    validatorTrust: validatorTrust.map(toU16),
    pruningScores: emission.map((value) => (largest > 0n ? toU16(Number(value) / Number(largest)) : 0)),
    emission,
    validatorPermit: topKByStake(input.stake, input.maxAllowedValidators),
  };
}
