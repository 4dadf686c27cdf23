import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksUntilNextEpoch, epochAt, epochIndex, revealWindow } from './epoch';

describe('blocksUntilNextEpoch', () => {
  // The table in subtensor's doc comment on blocks_until_next_epoch, at block 0.
  it.each([
    [1, 0, 0],
    [1, 1, 1],
    [2, 0, 1],
    [2, 1, 0],
    [100, 0, 99],
    [100, 1, 98],
  ])('tempo %i, netuid %i at block 0 runs its epoch in %i blocks', (tempo, netuid, expected) => {
    expect(blocksUntilNextEpoch(netuid, tempo, 0)).toBe(expected);
  });

  it('matches subtensor on finney-like values (tempo 360)', () => {
    // (block + netuid + 1) % 361: 4_000_000 + 2 = 4_000_002 = 361 · 11_080 + 122, so 360 - 122 = 238.
    expect(blocksUntilNextEpoch(1, 360, 4_000_000)).toBe(238);
    expect(blocksUntilNextEpoch(18, 99, 1_234_567)).toBe(99 - ((1_234_567 + 19) % 100));
  });

  it('is null for tempo 0: the subnet never runs an epoch', () => {
    expect(blocksUntilNextEpoch(3, 0, 500)).toBeNull();
    expect(epochAt(3, 0, 500)).toMatchObject({
      blocksUntilNextEpoch: null,
      nextEpochStart: null,
      epochBlock: null,
    });
  });

  it('rejects negative or fractional inputs', () => {
    expect(() => blocksUntilNextEpoch(-1, 10, 0)).toThrow(RangeError);
    expect(() => epochIndex(1, 10.5, 0)).toThrow(RangeError);
  });
});

describe('epochAt', () => {
  it('places a block in its epoch (netuid 1, tempo 10)', () => {
    // Epoch index k covers blocks 11k - 2 .. 11k + 8; the step runs in the last of them.
    expect(epochAt(1, 10, 20)).toEqual({
      netuid: 1,
      tempo: 10,
      block: 20,
      index: 2,
      startBlock: 20,
      epochBlock: 30,
      nextEpochStart: 31,
      blocksUntilNextEpoch: 10,
    });
    expect(epochAt(1, 10, 30)).toMatchObject({ index: 2, blocksUntilNextEpoch: 0, nextEpochStart: 31 });
    expect(epochAt(1, 10, 31)).toMatchObject({ index: 3, startBlock: 31, blocksUntilNextEpoch: 10 });
    // Epoch index 0 would start at block -2: it is reported from genesis.
    expect(epochAt(1, 10, 0)).toMatchObject({ index: 0, startBlock: 0, epochBlock: 8, nextEpochStart: 9 });
  });

  it('the index steps by one right after the block where blocks_until_next_epoch is 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (netuid, tempo, block) => {
          const here = epochAt(netuid, tempo, block);
          const next = epochAt(netuid, tempo, block + 1);
          const until = here.blocksUntilNextEpoch ?? -1;
          expect(until).toBeGreaterThanOrEqual(0);
          expect(until).toBeLessThanOrEqual(tempo);
          expect(next.index).toBe(until === 0 ? here.index + 1 : here.index);
          expect(here.nextEpochStart).toBe(block + until + 1);
          expect(here.startBlock).toBeLessThanOrEqual(block);
          if (block >= tempo + netuid + 1)
            expect((here.nextEpochStart ?? 0) - here.startBlock).toBe(tempo + 1);
          else expect((here.nextEpochStart ?? 0) - here.startBlock).toBeLessThanOrEqual(tempo + 1);
        },
      ),
    );
  });
});

describe('revealWindow', () => {
  it('is the whole epoch revealPeriod epochs after the commit (subtensor get_reveal_blocks)', () => {
    // netuid 1, tempo 10: a commit at block 25 is in epoch 2 (20..30); reveal period 1 → epoch 3, blocks 31..41.
    expect(revealWindow(1, 10, 1, 25)).toEqual({ revealEpoch: 3, firstBlock: 31, lastBlock: 41 });
    expect(revealWindow(1, 10, 2, 25)).toEqual({ revealEpoch: 4, firstBlock: 42, lastBlock: 52 });
    expect(revealWindow(1, 10, 0, 25)).toEqual({ revealEpoch: 2, firstBlock: 20, lastBlock: 30 });
  });

  it('every block of the window lies in the reveal epoch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1000, max: 1_000_000 }),
        (netuid, tempo, period, commitBlock) => {
          const window = revealWindow(netuid, tempo, period, commitBlock);
          expect(epochIndex(netuid, tempo, window.firstBlock)).toBe(window.revealEpoch);
          expect(epochIndex(netuid, tempo, window.lastBlock)).toBe(window.revealEpoch);
          expect(epochIndex(netuid, tempo, window.firstBlock - 1)).toBe(window.revealEpoch - 1);
          expect(epochIndex(netuid, tempo, window.lastBlock + 1)).toBe(window.revealEpoch + 1);
        },
      ),
    );
  });
});
