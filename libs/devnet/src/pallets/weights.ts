import { decodeAddress, blake2AsHex } from '@polkadot/util-crypto';
import { ScaleWriter } from '../runtime/scale';

const u16Max = 65_535;

/** Subtensor's vec_u16_max_upscale_to_u16: scales so the largest value becomes 65535 (all zeros stay zeros). */
export function maxUpscale(values: readonly number[]): number[] {
  const max = Math.max(0, ...values);
  if (max === 0) return values.map(() => 0);
  return values.map((value) => Math.min(u16Max, Math.round((value * u16Max) / max)));
}

/** Subtensor's check_vec_max_limited: after normalising to sum 1, no value exceeds limit / 65535. */
export function isMaxWeightLimited(values: readonly number[], limit: number): boolean {
  if (limit >= u16Max) return true;
  const sum = values.reduce((total, value) => total + value, 0);
  if (sum === 0) return true;
  return Math.max(...values) / sum <= limit / u16Max;
}

/** True when the weights are a single weight on the neuron itself (allowed without a permit or minimum). */
export function isSelfWeight(uid: number, uids: readonly number[], values: readonly number[]): boolean {
  return values.length === 1 && uids[0] === uid;
}

/**
 * The hash `commit_weights` stores and `reveal_weights` checks: BlakeTwo256::hash_of(&(who, netuid, uids,
 * values, salt, version_key)), i.e. blake2-256 over SCALE of (AccountId32, u16, Vec<u16>, Vec<u16>,
 * Vec<u16>, u64) — pallets/subtensor/src/subnets/weights.rs, do_reveal_weights.
 */
export function weightsCommitHash(
  hotkey: string,
  netuid: number,
  uids: readonly number[],
  values: readonly number[],
  salt: readonly number[],
  versionKey: bigint | number,
): `0x${string}` {
  const writer = new ScaleWriter().bytes(decodeAddress(hotkey)).u16(netuid);
  for (const list of [uids, values, salt]) {
    writer.compact(list.length);
    for (const item of list) writer.u16(item);
  }
  return blake2AsHex(writer.u64(versionKey).finish(), 256);
}

/** Subtensor's get_epoch_index: (block + netuid + 1) / (tempo + 1), rounded down. */
export function epochIndex(netuid: number, tempo: number, block: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/** Subtensor's blocks_until_next_epoch: tempo - ((block + netuid + 1) % (tempo + 1)); epochs run at 0. */
export function blocksUntilNextEpoch(netuid: number, tempo: number, block: number): number {
  if (tempo === 0) return Number.POSITIVE_INFINITY;
  return tempo - ((block + netuid + 1) % (tempo + 1));
}

/** Subtensor's get_reveal_blocks: the first and last block of the epoch `reveal period` after the commit's. */
export function revealWindow(
  netuid: number,
  tempo: number,
  revealPeriod: number,
  commitBlock: number,
): { first: number; last: number } {
  const revealEpoch = epochIndex(netuid, tempo, commitBlock) + revealPeriod;
  const first = Math.max(0, revealEpoch * (tempo + 1) - (netuid + 1));
  return { first, last: first + tempo };
}
