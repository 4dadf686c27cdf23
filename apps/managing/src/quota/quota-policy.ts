import type { Neuron, TaskPurpose } from '@vstack/contracts';

/** Who shares a miner's capacity: validators with at least this stake (and a permit, when required). */
export interface EligibilityRules {
  minValidatorStake: bigint;
  requireValidatorPermit: boolean;
}

/** This validator's place among the validators that share each miner's capacity. */
export interface ValidatorStanding {
  hotkey: string;
  /** Its uid, when the hotkey is registered on the subnet. */
  uid: number | undefined;
  stake: bigint;
  validatorPermit: boolean;
  /** True when it shares in miner capacity (and so has quotas). */
  eligible: boolean;
  /** Σ stake of the eligible validators, this one included when eligible. */
  totalEligibleStake: bigint;
  eligibleValidators: number;
}

/** How much of a quota window a validator has used on one miner. */
export interface CounterUsage {
  /** Requests of any purpose. */
  total: number;
  /** The synthetic ones among them. */
  synthetic: number;
}

/** One quota window: windows are consecutive, aligned on the unix epoch. */
export interface QuotaWindow {
  index: number;
  startsAt: number;
  endsAt: number;
}

/** Where a miner's capacity comes from: its declaration, clamped, or the configured default. */
export interface CapacityRules {
  defaultCapacity: number;
  minCapacity: number;
  maxCapacity: number;
}

function isEligible(neuron: Pick<Neuron, 'stake' | 'validatorPermit'>, rules: EligibilityRules): boolean {
  return (
    (!rules.requireValidatorPermit || neuron.validatorPermit) &&
    BigInt(neuron.stake) >= rules.minValidatorStake
  );
}

/** This validator's standing in a metagraph: its stake and the stake of every eligible validator. */
export function validatorStanding(
  neurons: readonly Pick<Neuron, 'uid' | 'hotkey' | 'stake' | 'validatorPermit'>[],
  hotkey: string,
  rules: EligibilityRules,
): ValidatorStanding {
  let totalEligibleStake = 0n;
  let eligibleValidators = 0;
  for (const neuron of neurons) {
    if (!isEligible(neuron, rules)) continue;
    totalEligibleStake += BigInt(neuron.stake);
    eligibleValidators += 1;
  }
  const own = neurons.find((neuron) => neuron.hotkey === hotkey);
  return {
    hotkey,
    uid: own?.uid,
    stake: own ? BigInt(own.stake) : 0n,
    validatorPermit: own?.validatorPermit ?? false,
    eligible: own !== undefined && isEligible(own, rules),
    totalEligibleStake,
    eligibleValidators,
  };
}

/**
 * This validator's quota on a miner for one window: `max(1, floor(capacity × stake / Σ eligible stake))`, computed
 * exactly on rao; 0 when it is not eligible. When every eligible validator has zero stake they share equally.
 */
export function quotaFor(capacity: number, standing: ValidatorStanding): number {
  if (!standing.eligible) return 0;
  if (standing.totalEligibleStake === 0n) {
    return Math.max(1, Math.floor(capacity / Math.max(1, standing.eligibleValidators)));
  }
  return Math.max(1, Number((BigInt(capacity) * standing.stake) / standing.totalEligibleStake));
}

/** How much of a quota synthetic work may use: `floor(quota × share)`, at least 1 when share > 0, never above quota. */
export function syntheticLimitFor(quota: number, share: number): number {
  if (share <= 0 || quota <= 0) return 0;
  // The epsilon keeps products such as 30 × 0.3 = 8.999… at 9.
  return Math.min(quota, Math.max(1, Math.floor(quota * share + 1e-9)));
}

/** What is left of a quota for a purpose: organic may use all of it, synthetic only up to its limit. */
export function remainingFor(
  purpose: TaskPurpose,
  quota: number,
  syntheticLimit: number,
  usage: CounterUsage,
): number {
  const left = Math.max(0, quota - usage.total);
  switch (purpose) {
    case 'organic':
      return left;
    case 'synthetic':
      return Math.min(left, Math.max(0, syntheticLimit - usage.synthetic));
  }
}

/** The quota window that contains `nowMs`. */
export function quotaWindowAt(nowMs: number, windowMs: number): QuotaWindow {
  const index = Math.floor(nowMs / windowMs);
  return { index, startsAt: index * windowMs, endsAt: (index + 1) * windowMs };
}

/** A miner's capacity: its declaration clamped to the configured range, or the default when it declares none. */
export function capacityFor(
  declared: number | undefined,
  rules: CapacityRules,
): { capacity: number; declared: boolean } {
  if (declared === undefined) return { capacity: rules.defaultCapacity, declared: false };
  return { capacity: Math.min(rules.maxCapacity, Math.max(rules.minCapacity, declared)), declared: true };
}
