import { randomBytes } from 'node:crypto';
import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import * as u16 from '@vstack/weights';
import { ChainError, ChainErrorCode } from './errors';

// The u16 conversion lives in @vstack/weights, shared with the scoring model. This lib re-exports it with its
// errors as ChainError `InvalidWeights`, so every function of this lib keeps throwing ChainError.
export { U16_MAX, type EmitWeights, type PrepareWeightsOptions, type WeightsInput } from '@vstack/weights';

function invalid(message: string, cause?: unknown): ChainError {
  return new ChainError(ChainErrorCode.InvalidWeights, message, cause === undefined ? {} : { cause });
}

function asChainErrors<A extends unknown[], R>(convert: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return convert(...args);
    } catch (error) {
      if (u16.isWeightsError(error)) throw invalid(error.message, error);
      throw error;
    }
  };
}

/** @vstack/weights' convertWeightsForEmit (bittensor's convert_weights_and_uids_for_emit), throwing ChainError. */
export const convertWeightsForEmit = asChainErrors(u16.convertWeightsForEmit);

/** @vstack/weights' normalizeMaxWeight (bittensor's normalize_max_weight), throwing ChainError. */
export const normalizeMaxWeight = asChainErrors(u16.normalizeMaxWeight);

/** subtensor's check_vec_max_limited in exact integer arithmetic: max/sum ≤ limit/65535. */
export const withinMaxWeightLimit = u16.withinMaxWeightLimit;

/** @vstack/weights' resolveWeightKeys: `{hotkey|uid: weight}` to uid keys in input order, throwing ChainError. */
export const resolveWeightKeys = asChainErrors(u16.resolveWeightKeys);

/**
 * @vstack/weights' prepareWeights, the one conversion from scores to what set_weights takes (resolve, validate,
 * cap to the max weight limit, scale to u16, drop zeros, check the minimum), throwing ChainError.
 */
export const prepareWeights = asChainErrors(u16.prepareWeights);

/** A salt for commit_weights: `length` random u16 values (bittensor uses 8). */
export function randomSalt(length = 8, random: (bytes: number) => Uint8Array = randomBytes): number[] {
  const bytes = random(length * 2);
  return Array.from({ length }, (_, i) => (bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8));
}

function u16Vec(values: readonly number[]): Uint8Array {
  const body = new Uint8Array(values.length * 2);
  const view = new DataView(body.buffer);
  values.forEach((value, i) => {
    view.setUint16(i * 2, value, true);
  });
  return u8aConcat(compactToU8a(values.length), body);
}

/** The commit that reveal_weights checks, parallel to EmitWeights. */
export interface WeightsCommitPreimage {
  /** The committing hotkey, ss58 or 32-byte public key. */
  hotkey: string | Uint8Array;
  netuid: number;
  uids: readonly number[];
  weights: readonly number[];
  salt: readonly number[];
  versionKey: bigint;
}

/**
 * subtensor's commit hash: BlakeTwo256::hash_of(&(who, netuid, uids, values, salt, version_key)), i.e.
 * blake2-256 of the SCALE encoding AccountId32 ‖ u16 ‖ Vec<u16> ‖ Vec<u16> ‖ Vec<u16> ‖ u64.
 */
export function weightsCommitHash(preimage: WeightsCommitPreimage): `0x${string}` {
  const account = typeof preimage.hotkey === 'string' ? decodeAddress(preimage.hotkey) : preimage.hotkey;
  if (account.length !== 32) throw invalid('the hotkey must be a 32-byte account id');
  const netuid = new Uint8Array(2);
  new DataView(netuid.buffer).setUint16(0, preimage.netuid, true);
  const versionKey = new Uint8Array(8);
  new DataView(versionKey.buffer).setBigUint64(0, BigInt.asUintN(64, preimage.versionKey), true);
  const encoded = u8aConcat(
    account,
    netuid,
    u16Vec(preimage.uids),
    u16Vec(preimage.weights),
    u16Vec(preimage.salt),
    versionKey,
  );
  return u8aToHex(blake2AsU8a(encoded, 256));
}
