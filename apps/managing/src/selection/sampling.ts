import type { RandomSource } from '@vstack/protocol';

/**
 * Draws up to `count` distinct items, each draw with probability proportional to its weight among the items not
 * drawn yet. Items of weight 0 are drawn only once no item of positive weight is left, then uniformly.
 */
export function sampleWithoutReplacement<T>(
  items: readonly T[],
  weightOf: (item: T) => number,
  count: number,
  random: RandomSource,
): T[] {
  const n = items.length;
  const weights = new Float64Array(n);
  items.forEach((item, i) => {
    weights[i] = Math.max(0, weightOf(item));
  });
  const taken = new Uint8Array(n);
  const drawn: T[] = [];
  while (drawn.length < count && drawn.length < n) {
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i] ?? 0;
    let index = -1;
    if (total > 0) {
      let target = random() * total;
      for (let i = 0; i < n; i++) {
        const weight = weights[i] ?? 0;
        if (weight <= 0) continue;
        index = i;
        target -= weight;
        // Rounding can leave the target just past the end: then the last item of positive weight is taken.
        if (target < 0) break;
      }
    } else {
      let skip = Math.min(n - drawn.length - 1, Math.floor(random() * (n - drawn.length)));
      for (let i = 0; i < n && index < 0; i++) {
        if (taken[i] === 0 && skip-- === 0) index = i;
      }
    }
    const item = items[index];
    if (index < 0 || item === undefined) break;
    taken[index] = 1;
    weights[index] = 0;
    drawn.push(item);
  }
  return drawn;
}

/**
 * The items in the top `fraction` by score: as many as `ceil(fraction × n)`, plus every item that ties with the
 * last one kept (so equal scores, such as uniform ones, are never cut arbitrarily).
 */
export function topFraction<T>(items: readonly T[], scoreOf: (item: T) => number, fraction: number): T[] {
  if (fraction >= 1 || items.length === 0) return [...items];
  const keep = Math.max(1, Math.ceil(fraction * items.length));
  const scores = items.map(scoreOf).sort((a, b) => b - a);
  const threshold = scores[keep - 1] ?? Number.NEGATIVE_INFINITY;
  return items.filter((item) => scoreOf(item) >= threshold);
}
