import { TypeRegistry } from '@polkadot/types';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blocksUntilNextEpoch,
  epochIndex,
  isMaxWeightLimited,
  isSelfWeight,
  maxUpscale,
  revealWindow,
  weightsCommitHash,
} from './weights';

const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

describe('weight helpers, as subtensor computes them', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
  });

  it('max-upscales so the largest weight is 65535, rounding the rest', () => {
    expect(maxUpscale([100, 50, 0])).toEqual([65535, 32768, 0]);
    expect(maxUpscale([1, 3])).toEqual([21845, 65535]);
    expect(maxUpscale([0, 0])).toEqual([0, 0]);
  });

  it('limits the largest normalised weight to MaxWeightsLimit / 65535', () => {
    expect(isMaxWeightLimited([65535, 65535], 32768)).toBe(true);
    expect(isMaxWeightLimited([65535, 1], 40000)).toBe(false);
    expect(isMaxWeightLimited([65535, 1], 65535)).toBe(true);
  });

  it('recognises a single weight on oneself', () => {
    expect(isSelfWeight(3, [3], [1])).toBe(true);
    expect(isSelfWeight(3, [4], [1])).toBe(false);
    expect(isSelfWeight(3, [3, 4], [1, 1])).toBe(false);
  });

  it('hashes a commit as blake2-256 of SCALE (account, netuid, uids, values, salt, version_key)', () => {
    const registry = new TypeRegistry();
    const encoded = registry
      .createType('(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)', [
        alice,
        1,
        [0, 7],
        [65535, 3],
        [9, 8, 7],
        42,
      ])
      .toU8a();
    expect(weightsCommitHash(alice, 1, [0, 7], [65535, 3], [9, 8, 7], 42n)).toBe(blake2AsHex(encoded, 256));
  });
});

describe('epoch arithmetic (subtensor blocks_until_next_epoch and get_epoch_index)', () => {
  it.each([
    // netuid, tempo, block, blocks until the next epoch: the table in subtensor's doc comment
    [0, 1, 0, 0],
    [1, 1, 1, 0],
    [0, 2, 1, 0],
    [1, 2, 0, 0],
    [0, 100, 99, 0],
    [1, 100, 98, 0],
    [1, 360, 358, 0],
    [1, 360, 359, 360],
    [1, 360, 0, 358],
  ])('netuid %i, tempo %i, block %i: %i blocks to the epoch', (netuid, tempo, block, expected) => {
    expect(blocksUntilNextEpoch(netuid, tempo, block)).toBe(expected);
  });

  it('numbers epochs so a new one starts right after the epoch block', () => {
    expect(epochIndex(1, 360, 358)).toBe(0);
    expect(epochIndex(1, 360, 359)).toBe(1);
    expect(blocksUntilNextEpoch(1, 0, 5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('opens the reveal window on the whole epoch `reveal period` after the commit', () => {
    expect(revealWindow(1, 360, 1, 100)).toEqual({ first: 359, last: 719 });
    expect(revealWindow(4, 10, 2, 6)).toEqual({ first: 28, last: 38 });
    expect(epochIndex(4, 10, 28)).toBe(epochIndex(4, 10, 6) + 2);
    expect(epochIndex(4, 10, 38)).toBe(epochIndex(4, 10, 6) + 2);
    expect(epochIndex(4, 10, 39)).toBe(epochIndex(4, 10, 6) + 3);
  });
});
