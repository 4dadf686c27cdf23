import { describe, expect, it } from 'vitest';
import { spearman } from './pipeline';

describe('spearman', () => {
  it('is 1 for the same order, -1 for the reverse order, whatever the scale', () => {
    expect(spearman([1, 2, 3, 4], [10, 200, 3_000, 40_000])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1])).toBeCloseTo(-1);
  });

  it('gives tied values their average rank', () => {
    // Ranks [1, 2.5, 2.5, 4] against [1, 2, 3, 4].
    expect(spearman([0.1, 0.5, 0.5, 0.9], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5));
  });

  it('is 0 when one series is constant, and refuses series of different lengths', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow();
  });
});
