import { describe, expect, it } from 'vitest';
import { ProtocolErrorCode } from './errors';
import { fnv1a32, mulberry32, randomInt, randomPick, randomUint32 } from './random';

describe('mulberry32', () => {
  it('produces the reference sequence for a seed', () => {
    const random = mulberry32(1);
    expect([random(), random(), random()]).toEqual([
      0.6270739405881613, 0.002735721180215478, 0.5274470399599522,
    ]);
  });

  it('repeats a sequence for the same seed and differs for another', () => {
    const take = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 20 }, () => random());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('stays within [0, 1)', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 10_000; i++) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });

  it('refuses a seed that is not an integer', () => {
    expect(() => mulberry32(1.5)).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.InvalidOptions }),
    );
    expect(() => mulberry32(Number.NaN)).toThrow(/safe integer/);
  });
});

describe('fnv1a32', () => {
  it('matches the published FNV-1a test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    expect(fnv1a32('é')).not.toBe(fnv1a32('\u00e9'.normalize('NFD')));
    expect(fnv1a32('é')).toBe(fnv1a32('\u00e9'));
  });
});

describe('randomInt and randomPick', () => {
  it('covers both ends of an inclusive range', () => {
    const random = mulberry32(3);
    const seen = new Set(Array.from({ length: 500 }, () => randomInt(random, -2, 2)));
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
  });

  it('stays in range even for a source that returns 1', () => {
    expect(randomInt(() => 1, 0, 9)).toBe(9);
    expect(randomUint32(() => 1)).toBe(2 ** 32 - 1);
  });

  it('refuses an empty range or an empty list', () => {
    expect(() => randomInt(Math.random, 3, 2)).toThrow(/no integer/);
    expect(() => randomPick(Math.random, [])).toThrow(/empty list/);
  });
});
