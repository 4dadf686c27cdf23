import type { MetricFamily, Sample } from './metrics-text';

/** One scrape of a service's /metrics: its families and when it was read (ms since the epoch). */
export interface Scrape {
  at: number;
  families: ReadonlyMap<string, MetricFamily>;
}

/** One histogram series: cumulative bucket counts by upper bound (ascending, ending with +Inf), sum and count. */
export interface HistogramSeries {
  labels: Readonly<Record<string, string>>;
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** A stable key for a label set, leaving out the given label names. */
export function labelKey(labels: Readonly<Record<string, string>>, omit: readonly string[] = []): string {
  return Object.keys(labels)
    .filter((name) => !omit.includes(name))
    .sort()
    .map((name) => `${name}=${labels[name] ?? ''}`)
    .join(',');
}

/** How much a counter grew between two readings; a smaller second reading means it restarted from zero. */
export function counterIncrease(previous: number | undefined, current: number): number {
  if (previous === undefined || current < previous) return current;
  return current - previous;
}

/** Per-second rate of a counter between two readings `seconds` apart; undefined without two readings. */
export function counterRate(
  previous: number | undefined,
  current: number,
  seconds: number,
): number | undefined {
  if (previous === undefined || seconds <= 0) return undefined;
  return counterIncrease(previous, current) / seconds;
}

/** The family's histogram series, one per label set (without `le`). */
export function histogramSeries(family: MetricFamily | undefined): HistogramSeries[] {
  if (family?.type !== 'histogram') return [];
  const byKey = new Map<string, HistogramSeries>();
  const seriesOf = (sample: Sample): HistogramSeries => {
    const key = labelKey(sample.labels, ['le']);
    let series = byKey.get(key);
    if (!series) {
      const labels = Object.fromEntries(Object.entries(sample.labels).filter(([name]) => name !== 'le'));
      series = { labels, buckets: [], sum: 0, count: 0 };
      byKey.set(key, series);
    }
    return series;
  };
  for (const sample of family.samples) {
    const series = seriesOf(sample);
    if (sample.name.endsWith('_bucket')) {
      const le = sample.labels['le'];
      if (le === undefined) continue;
      series.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: sample.value });
    } else if (sample.name.endsWith('_sum')) {
      series.sum = sample.value;
    } else if (sample.name.endsWith('_count')) {
      series.count = sample.value;
    }
  }
  for (const series of byKey.values()) series.buckets.sort((a, b) => a.le - b.le);
  return [...byKey.values()];
}

/** The observations between two readings of one histogram series (all of `current` when it restarted). */
export function histogramIncrease(
  previous: HistogramSeries | undefined,
  current: HistogramSeries,
): HistogramSeries {
  if (!previous || current.count < previous.count) return current;
  const before = new Map(previous.buckets.map((bucket) => [bucket.le, bucket.count]));
  return {
    labels: current.labels,
    buckets: current.buckets.map((bucket) => ({
      le: bucket.le,
      count: bucket.count - (before.get(bucket.le) ?? 0),
    })),
    sum: current.sum - previous.sum,
    count: current.count - previous.count,
  };
}

/** Adds histogram series with the same bucket bounds into one (e.g. every route's request durations). */
export function mergeHistograms(series: readonly HistogramSeries[]): HistogramSeries {
  const counts = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const one of series) {
    for (const bucket of one.buckets) counts.set(bucket.le, (counts.get(bucket.le) ?? 0) + bucket.count);
    sum += one.sum;
    count += one.count;
  }
  const buckets = [...counts.entries()]
    .map(([le, total]) => ({ le, count: total }))
    .sort((a, b) => a.le - b.le);
  return { labels: {}, buckets, sum, count };
}

/**
 * The q-quantile (0..1) of a histogram's cumulative buckets, interpolated linearly inside the bucket that holds
 * it, as Prometheus' histogram_quantile does: a quantile in the +Inf bucket is the largest finite bound.
 * Undefined when the histogram holds no observations.
 */
export function histogramQuantile(
  q: number,
  buckets: readonly { le: number; count: number }[],
): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0 || q < 0 || q > 1) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank && bucket.count > lowerCount) {
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound;
      const share = (rank - lowerCount) / (bucket.count - lowerCount);
      return lowerBound + (bucket.le - lowerBound) * share;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/** Value of the first sample of a family, when it has one. */
export function firstValue(scrape: Scrape, name: string): number | undefined {
  return scrape.families.get(name)?.samples[0]?.value;
}

/** Sum of a family's samples whose labels pass `filter`; undefined when the family is not there. */
export function sumOf(
  scrape: Scrape,
  name: string,
  filter: (labels: Readonly<Record<string, string>>) => boolean = () => true,
): number | undefined {
  const family = scrape.families.get(name);
  if (!family) return undefined;
  return family.samples
    .filter((sample) => filter(sample.labels))
    .reduce((total, sample) => total + sample.value, 0);
}

/** Seconds between two scrapes. */
export function secondsBetween(previous: Scrape, current: Scrape): number {
  return (current.at - previous.at) / 1000;
}
