import {
  counterRate,
  firstValue,
  type HistogramSeries,
  histogramIncrease,
  histogramQuantile,
  histogramSeries,
  labelKey,
  mergeHistograms,
  type Scrape,
  secondsBetween,
  sumOf,
} from './figures';

const httpRequests = 'vstack_http_requests_total';
const httpDuration = 'vstack_http_request_duration_seconds';
const httpInProgress = 'vstack_http_requests_in_progress';

// Families every service has: shown in their own lines, not again in the lists of the service's own metrics.
const commonPrefixes = ['vstack_process_', 'vstack_nodejs_', 'vstack_http_'];

/**
 * Label values of the stack's counters that mean something went wrong (see MetricName in libs/observability):
 * an outcome or status with one of these counts towards errors/s beside the HTTP 5xx answers.
 */
const errorOutcomes = new Set([
  'error',
  'failed',
  'FAILED',
  'timeout',
  'upstream_error',
  'upstream_timeout',
  'unreachable',
  'http_error',
  'gave_up',
]);

/** Latency and rate figures of one set of requests or observations. */
export interface RateFigures {
  /** Per second since the previous scrape; undefined on the first. */
  rate: number | undefined;
  total: number;
  /** Seconds; over the observations since the previous scrape, else over all of them. */
  p50: number | undefined;
  p99: number | undefined;
}

/** One route's figures. */
export interface RouteFigures extends RateFigures {
  method: string;
  route: string;
  /** Answers by status class since the service started. */
  clientErrors: number;
  serverErrors: number;
}

/** A counter series with its rate. */
export interface CounterFigures {
  name: string;
  labels: Readonly<Record<string, string>>;
  rate: number | undefined;
  total: number;
}

/** A gauge series. */
export interface GaugeFigures {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** A histogram series (other than the HTTP one). */
export interface HistogramFigures extends RateFigures {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** Everything `vstack top` shows of one service, computed from two successive scrapes. */
export interface ServiceFigures {
  http: RateFigures & { errorRate: number | undefined; inFlight: number | undefined };
  routes: RouteFigures[];
  /** HTTP 5xx plus the counters whose outcome or status is an error, per second. */
  errorRate: number | undefined;
  /**
   * Jobs not yet taken in the queues the service reports: `vstack_queue_jobs` waiting, prioritized or delayed, plus
   * the `*_queue_depth` gauges; undefined when the service has none.
   */
  queueDepth: number | undefined;
  process: {
    cpuShare: number | undefined;
    residentBytes: number | undefined;
    eventLoopP99Seconds: number | undefined;
    uptimeSeconds: number | undefined;
  };
  counters: CounterFigures[];
  gauges: GaugeFigures[];
  histograms: HistogramFigures[];
}

function quantilesOf(
  previous: HistogramSeries | undefined,
  current: HistogramSeries,
): { p50: number | undefined; p99: number | undefined } {
  // Recent observations when there are any; all of them otherwise, so a quiet service still shows its latency.
  const recent = previous ? histogramIncrease(previous, current) : undefined;
  const source = recent && recent.count > 0 ? recent : current;
  return { p50: histogramQuantile(0.5, source.buckets), p99: histogramQuantile(0.99, source.buckets) };
}

function isOwnFamily(name: string): boolean {
  return name.startsWith('vstack_') && !commonPrefixes.some((prefix) => name.startsWith(prefix));
}

function isErrorSeries(labels: Readonly<Record<string, string>>): boolean {
  return errorOutcomes.has(labels['outcome'] ?? '') || errorOutcomes.has(labels['status'] ?? '');
}

function rateBetween(
  previous: Scrape | undefined,
  current: Scrape,
  name: string,
  filter?: (labels: Readonly<Record<string, string>>) => boolean,
): number | undefined {
  const now = sumOf(current, name, filter);
  if (now === undefined || !previous) return undefined;
  return counterRate(sumOf(previous, name, filter) ?? 0, now, secondsBetween(previous, current));
}

/** The figures of one service from its previous scrape (undefined at first) and its current one. */
export function serviceFigures(previous: Scrape | undefined, current: Scrape): ServiceFigures {
  const seconds = previous ? secondsBetween(previous, current) : 0;
  const isServerError = (labels: Readonly<Record<string, string>>) =>
    (labels['status_code'] ?? '').startsWith('5');

  const durationNow = histogramSeries(current.families.get(httpDuration));
  const durationBefore = previous ? histogramSeries(previous.families.get(httpDuration)) : [];
  const routeKey = (labels: Readonly<Record<string, string>>) =>
    `${labels['method'] ?? ''} ${labels['route'] ?? ''}`;

  const routes = new Map<string, RouteFigures>();
  for (const sample of current.families.get(httpRequests)?.samples ?? []) {
    const key = routeKey(sample.labels);
    const route = routes.get(key) ?? {
      method: sample.labels['method'] ?? '',
      route: sample.labels['route'] ?? '',
      rate: undefined,
      total: 0,
      p50: undefined,
      p99: undefined,
      clientErrors: 0,
      serverErrors: 0,
    };
    route.total += sample.value;
    const status = sample.labels['status_code'] ?? '';
    if (status.startsWith('4')) route.clientErrors += sample.value;
    if (status.startsWith('5')) route.serverErrors += sample.value;
    routes.set(key, route);
  }
  for (const route of routes.values()) {
    const sameRoute = (labels: Readonly<Record<string, string>>) =>
      routeKey(labels) === `${route.method} ${route.route}`;
    route.rate = rateBetween(previous, current, httpRequests, sameRoute);
    const now = mergeHistograms(durationNow.filter((series) => sameRoute(series.labels)));
    const before = previous
      ? mergeHistograms(durationBefore.filter((series) => sameRoute(series.labels)))
      : undefined;
    Object.assign(route, quantilesOf(before, now));
  }

  const allDurations = mergeHistograms(durationNow);
  const httpServerErrorRate = rateBetween(previous, current, httpRequests, isServerError);
  const counters: CounterFigures[] = [];
  const gauges: GaugeFigures[] = [];
  const histograms: HistogramFigures[] = [];
  let outcomeErrorRate: number | undefined;
  let queueDepth: number | undefined;

  for (const family of current.families.values()) {
    if (!isOwnFamily(family.name)) continue;
    const before = previous?.families.get(family.name);
    switch (family.type) {
      case 'counter': {
        for (const sample of family.samples) {
          const key = labelKey(sample.labels);
          const earlier = before?.samples.find((candidate) => labelKey(candidate.labels) === key);
          const rate = previous ? counterRate(earlier?.value ?? 0, sample.value, seconds) : undefined;
          counters.push({ name: family.name, labels: sample.labels, rate, total: sample.value });
          if (rate !== undefined && isErrorSeries(sample.labels))
            outcomeErrorRate = (outcomeErrorRate ?? 0) + rate;
        }
        break;
      }
      case 'gauge': {
        for (const sample of family.samples) {
          gauges.push({ name: family.name, labels: sample.labels, value: sample.value });
          if (isQueueBacklog(family.name, sample.labels)) queueDepth = (queueDepth ?? 0) + sample.value;
        }
        break;
      }
      case 'histogram': {
        const earlier = histogramSeries(before);
        for (const series of histogramSeries(family)) {
          const key = labelKey(series.labels);
          const match = earlier.find((candidate) => labelKey(candidate.labels) === key);
          const rate = previous ? counterRate(match?.count ?? 0, series.count, seconds) : undefined;
          histograms.push({
            name: family.name,
            labels: series.labels,
            rate,
            total: series.count,
            ...quantilesOf(match, series),
          });
        }
        break;
      }
      case 'summary':
      case 'untyped':
        break;
    }
  }

  const cpuNow = firstValue(current, 'vstack_process_cpu_seconds_total');
  const cpuBefore = previous ? firstValue(previous, 'vstack_process_cpu_seconds_total') : undefined;
  const startTime = firstValue(current, 'vstack_process_start_time_seconds');
  const errorRate =
    httpServerErrorRate === undefined && outcomeErrorRate === undefined
      ? undefined
      : (httpServerErrorRate ?? 0) + (outcomeErrorRate ?? 0);

  return {
    http: {
      rate: rateBetween(previous, current, httpRequests),
      total: sumOf(current, httpRequests) ?? 0,
      ...quantilesOf(previous ? mergeHistograms(durationBefore) : undefined, allDurations),
      errorRate: httpServerErrorRate,
      inFlight: sumOf(current, httpInProgress),
    },
    routes: [...routes.values()].sort((a, b) => b.total - a.total || a.route.localeCompare(b.route)),
    errorRate,
    queueDepth,
    process: {
      cpuShare: cpuNow === undefined ? undefined : counterRate(cpuBefore, cpuNow, seconds),
      residentBytes: firstValue(current, 'vstack_process_resident_memory_bytes'),
      eventLoopP99Seconds: firstValue(current, 'vstack_nodejs_eventloop_lag_p99_seconds'),
      uptimeSeconds: startTime === undefined ? undefined : current.at / 1000 - startTime,
    },
    counters,
    gauges,
    histograms,
  };
}

const backlogStates = new Set(['waiting', 'prioritized', 'delayed']);

/** Whether a gauge sample counts jobs waiting to be taken. */
function isQueueBacklog(name: string, labels: Readonly<Record<string, string>>): boolean {
  if (name === 'vstack_queue_jobs') return backlogStates.has(labels['state'] ?? '');
  return name.endsWith('_queue_depth');
}
