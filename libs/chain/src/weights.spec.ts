import { TypeRegistry } from '@polkadot/types';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';
import { Keyring } from '@polkadot/keyring';
import * as shared from '@vstack/weights';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChainErrorCode, isChainError } from './errors';
import {
  U16_MAX,
  convertWeightsForEmit,
  normalizeMaxWeight,
  prepareWeights,
  randomSalt,
  resolveWeightKeys,
  weightsCommitHash,
  withinMaxWeightLimit,
} from './weights';

function expectInvalid(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(isChainError(error, ChainErrorCode.InvalidWeights)).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(shared.WeightsError);
    return;
  }
  throw new Error('expected an InvalidWeights ChainError');
}

// The conversion itself is tested in @vstack/weights; this lib only re-exports it with its own error class.
describe('the u16 conversion as this lib exports it', () => {
  it('is the shared conversion', () => {
    expect(U16_MAX).toBe(shared.U16_MAX);
    expect(convertWeightsForEmit([0, 1, 2, 3], [0.5, 0.25, 0, 1])).toEqual({
      uids: [0, 1, 3],
      weights: [32768, 16384, 65535],
    });
    expect(normalizeMaxWeight([1, 1, 2], 0.5)).toEqual([0.25, 0.25, 0.5]);
    expect(withinMaxWeightLimit([65_535, 1], 32_768)).toBe(false);
    expect(resolveWeightKeys({ '7': 1 })).toEqual({ uids: [7], weights: [1] });
    const input = { '0': 100, '1': 1, '2': 1, '3': 1, '4': 1 };
    expect(prepareWeights(input, { maxWeightLimit: 26_214 })).toEqual(
      shared.prepareWeights(input, { maxWeightLimit: 26_214 }),
    );
  });

  it('reports weights the chain would refuse as ChainError InvalidWeights', () => {
    expectInvalid(() => convertWeightsForEmit([1], [Number.NaN]));
    expectInvalid(() => normalizeMaxWeight([1], 0));
    expectInvalid(() => resolveWeightKeys({ '5Unknown': 1 }));
    expectInvalid(() => prepareWeights({ '0': 1, '1': 0 }, { minAllowedWeights: 2 }));
    expectInvalid(() => prepareWeights({ '0': 1, '1': 1 }, { maxWeightLimit: 10_000 }));
  });
});

describe('weightsCommitHash', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
  });

  it('equals blake2-256 of the SCALE tuple (AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)', () => {
    const registry = new TypeRegistry();
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65_535 }),
        fc.array(fc.integer({ min: 0, max: 65_535 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 65_535 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 65_535 }), { minLength: 8, maxLength: 8 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (netuid, uids, weights, salt, versionKey) => {
          const tuple = registry.createType('(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)', [
            alice.publicKey,
            netuid,
            uids,
            weights,
            salt,
            versionKey,
          ]);
          const expected = blake2AsHex(tuple.toU8a(), 256);
          expect(weightsCommitHash({ hotkey: alice.address, netuid, uids, weights, salt, versionKey })).toBe(
            expected,
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it('changes with the salt', () => {
    const base = {
      hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
      netuid: 1,
      uids: [1],
      weights: [65_535],
    };
    expect(weightsCommitHash({ ...base, salt: [1], versionKey: 0n })).not.toBe(
      weightsCommitHash({ ...base, salt: [2], versionKey: 0n }),
    );
  });
});

describe('randomSalt', () => {
  it('draws u16 values from the given randomness', () => {
    expect(randomSalt(2, () => new Uint8Array([0x01, 0x02, 0xff, 0xff]))).toEqual([0x0201, 0xffff]);
    const salt = randomSalt();
    expect(salt).toHaveLength(8);
    for (const value of salt) expect(value).toBeLessThanOrEqual(U16_MAX);
  });
});
