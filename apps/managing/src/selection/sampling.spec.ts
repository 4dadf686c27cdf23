import { mulberry32 } from '@vstack/protocol';
import { describe, expect, it } from 'vitest';
import { sampleWithoutReplacement, topFraction } from './sampling';

describe('sampleWithoutReplacement', () => {
  it('draws in proportion to weight', () => {
    const random = mulberry32(7);
    const weights = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 7],
    ]);
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const [item] = sampleWithoutReplacement([...weights.keys()], (key) => weights.get(key) ?? 0, 1, random);
      counts.set(item ?? '', (counts.get(item ?? '') ?? 0) + 1);
    }
    for (const [key, weight] of weights) {
      const p = weight / 10;
      const sd = Math.sqrt(draws * p * (1 - p));
      expect(Math.abs((counts.get(key) ?? 0) - draws * p)).toBeLessThan(4 * sd);
    }
  });

  it('never draws an item twice and stops when the items run out', () => {
    const random = mulberry32(1);
    const drawn = sampleWithoutReplacement([1, 2, 3, 4], () => 1, 10, random);
    expect(drawn).toHaveLength(4);
    expect(new Set(drawn).size).toBe(4);
  });

  it('draws items of weight 0 only when no item of positive weight is left', () => {
    const random = mulberry32(3);
    for (let i = 0; i < 200; i++) {
      const drawn = sampleWithoutReplacement(
        ['zero', 'one', 'two'],
        (item) => (item === 'zero' ? 0 : 1),
        2,
        random,
      );
      expect(drawn.sort()).toEqual(['one', 'two']);
    }
    expect(sampleWithoutReplacement(['a', 'b'], () => 0, 1, random)).toHaveLength(1);
  });

  it('survives a random source that returns values at the edge', () => {
    expect(
      sampleWithoutReplacement(
        ['a', 'b'],
        () => 1,
        1,
        () => 0.999_999_999_999_999_9,
      ),
    ).toEqual(['b']);
    expect(
      sampleWithoutReplacement(
        ['a', 'b'],
        () => 1,
        1,
        () => 0,
      ),
    ).toEqual(['a']);
  });
});

describe('topFraction', () => {
  const score = (item: { score: number }) => item.score;
  const items = [1, 5, 3, 9, 7, 2].map((value) => ({ score: value }));

  it('keeps ceil(fraction × n) items with the best scores', () => {
    expect(topFraction(items, score, 0.5).map(score)).toEqual([5, 9, 7]);
    expect(topFraction(items, score, 0.01).map(score)).toEqual([9]);
    expect(topFraction(items, score, 1)).toHaveLength(6);
  });

  it('keeps every item tied with the last one kept', () => {
    const tied = [4, 4, 4, 4, 1].map((value) => ({ score: value }));
    expect(topFraction(tied, score, 0.2)).toHaveLength(4);
    expect(topFraction([], score, 0.5)).toEqual([]);
  });
});
