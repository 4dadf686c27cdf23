import { describe, expect, it } from 'vitest';
import { ageInBlocks, expectedHead, judgeAge, staleWarning } from './staleness';

const limits = { softBlocks: 100, hardBlocks: 150, blockTimeMs: 12_000 };
const head = { number: 1_000, hash: '0xhead', seenAt: 0 };

describe('cache age', () => {
  it('is the distance to the head while heads keep coming', () => {
    expect(ageInBlocks(990, 0, head, 11_999, 12_000)).toBe(10);
    expect(ageInBlocks(1_000, 0, head, 0, 12_000)).toBe(0);
  });

  it('keeps growing by wall clock, a block per block time, while no head arrives', () => {
    expect(expectedHead(head, 12_000, 12_000)).toBe(1_001);
    expect(ageInBlocks(1_000, 0, head, 12_000 * 101, 12_000)).toBe(101);
  });

  it('counts from when the answer was stored when no head was seen yet', () => {
    expect(ageInBlocks(500, 1_000, undefined, 1_000 + 36_000, 12_000)).toBe(3);
  });

  it('is never negative (a restarted chain is behind its old cache)', () => {
    expect(ageInBlocks(2_000, 0, head, 0, 12_000)).toBe(0);
  });
});

describe('judging an age', () => {
  it('warns past the soft limit and refuses past the hard limit, not at them', () => {
    expect(judgeAge(100, limits).level).toBe('fresh');
    expect(judgeAge(101, limits).level).toBe('soft');
    expect(judgeAge(150, limits).level).toBe('soft');
    expect(judgeAge(151, limits)).toEqual({ ageBlocks: 151, level: 'hard' });
  });

  it('words the warning as an RFC 7234 "Response is Stale" warning', () => {
    expect(staleWarning(120, limits)).toBe(
      '110 - "the cached metagraph is 120 blocks behind the chain head (soft limit 100)"',
    );
  });
});
