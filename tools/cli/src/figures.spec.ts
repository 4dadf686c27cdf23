import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  counterIncrease,
  counterRate,
  histogramIncrease,
  histogramQuantile,
  histogramSeries,
  mergeHistograms,
  type Scrape,
} from './figures';
import { parseMetricsText } from './metrics-text';
import { serviceFigures } from './service-figures';

const inf = Number.POSITIVE_INFINITY;

describe('counter rates', () => {
  it('is the growth per second, and the whole value after a restart', () => {
    expect(counterRate(100, 130, 2)).toBe(15);
    expect(counterRate(100, 4, 2)).toBe(2);
    expect(counterRate(undefined, 4, 2)).toBeUndefined();
    expect(counterIncrease(undefined, 9)).toBe(9);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: inf, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.95);
  });

  it('answers the largest finite bound for a rank in +Inf, and nothing without observations', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: 2, count: 1 },
        { le: inf, count: 10 },
      ]),
    ).toBe(2);
    expect(histogramQuantile(0.5, [{ le: inf, count: 0 }])).toBeUndefined();
    expect(histogramQuantile(0.5, [])).toBeUndefined();
  });

  it('skips empty buckets below the rank', () => {
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: 2, count: 0 },
        { le: 4, count: 2 },
        { le: inf, count: 2 },
      ]),
    ).toBeCloseTo(3);
  });
});

describe('histogram series', () => {
  it('groups buckets by labels, subtracts two readings and merges series', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'd_seconds',
      help: 'd',
      labelNames: ['route'],
      buckets: [1, 2],
      registers: [registry],
    });
    histogram.observe({ route: '/a' }, 0.5);
    histogram.observe({ route: '/b' }, 1.5);
    const before = histogramSeries(parseMetricsText(await registry.metrics()).get('d_seconds'));
    histogram.observe({ route: '/a' }, 1.5);
    histogram.observe({ route: '/a' }, 3);
    const after = histogramSeries(parseMetricsText(await registry.metrics()).get('d_seconds'));

    expect(after.map((series) => series.labels)).toEqual([{ route: '/a' }, { route: '/b' }]);
    const routeA = after.find((series) => series.labels['route'] === '/a')!;
    expect(routeA.buckets).toEqual([
      { le: 1, count: 1 },
      { le: 2, count: 2 },
      { le: inf, count: 3 },
    ]);
    const recent = histogramIncrease(
      before.find((series) => series.labels['route'] === '/a'),
      routeA,
    );
    expect(recent.count).toBe(2);
    expect(recent.buckets).toEqual([
      { le: 1, count: 0 },
      { le: 2, count: 1 },
      { le: inf, count: 2 },
    ]);
    expect(recent.sum).toBeCloseTo(4.5);
    expect(mergeHistograms(after).buckets).toEqual([
      { le: 1, count: 1 },
      { le: 2, count: 3 },
      { le: inf, count: 4 },
    ]);
  });

  it('takes a reading with fewer observations than the last as a restart', () => {
    const before = { labels: {}, buckets: [{ le: inf, count: 10 }], sum: 5, count: 10 };
    const after = { labels: {}, buckets: [{ le: inf, count: 3 }], sum: 1, count: 3 };
    expect(histogramIncrease(before, after)).toBe(after);
  });
});

describe('serviceFigures', () => {
  /** A service's registry like ServiceMetrics builds, plus a few of the stack's own metrics. */
  function serviceRegistry() {
    const registry = new Registry();
    const labels = ['method', 'route', 'status_code', 'service'] as const;
    const requests = new Counter({
      name: 'vstack_http_requests_total',
      help: 'r',
      labelNames: labels,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'vstack_http_request_duration_seconds',
      help: 'd',
      labelNames: labels,
      buckets: [0.01, 0.1, 1],
      registers: [registry],
    });
    const tasks = new Counter({
      name: 'vstack_validator_tasks_total',
      help: 't',
      labelNames: ['outcome'],
      registers: [registry],
    });
    const depth = new Gauge({ name: 'vstack_synthesizing_queue_depth', help: 'q', registers: [registry] });
    const cpu = new Counter({ name: 'vstack_process_cpu_seconds_total', help: 'c', registers: [registry] });
    const request = (route: string, status: number, seconds: number) => {
      const set = { method: 'GET', route, status_code: String(status), service: 'x' };
      requests.inc(set);
      duration.observe(set, seconds);
    };
    return { registry, request, tasks, depth, cpu };
  }

  const scrapeAt = async (registry: Registry, at: number): Promise<Scrape> => ({
    at,
    families: parseMetricsText(await registry.metrics()),
  });

  it('computes rates, errors, latency and queue depth between two scrapes', async () => {
    const service = serviceRegistry();
    for (let i = 0; i < 4; i++) service.request('/slow', 200, 0.5);
    service.tasks.inc({ outcome: 'completed' }, 3);
    service.cpu.inc(10);
    const first = await scrapeAt(service.registry, 1_000);

    for (let i = 0; i < 18; i++) service.request('/fast', 200, 0.005);
    service.request('/fast', 503, 0.005);
    service.request('/fast', 404, 0.005);
    service.tasks.inc({ outcome: 'completed' }, 6);
    service.tasks.inc({ outcome: 'failed' }, 2);
    service.depth.set(12);
    service.cpu.inc(1);
    const second = await scrapeAt(service.registry, 3_000);

    const figures = serviceFigures(first, second);
    expect(figures.http.rate).toBe(10);
    expect(figures.http.total).toBe(24);
    expect(figures.http.errorRate).toBe(0.5);
    // Only this interval's requests, all under 10 ms: the earlier slow ones no longer count.
    expect(figures.http.p99).toBeLessThanOrEqual(0.01);
    expect(figures.errorRate).toBe(0.5 + 1);
    expect(figures.queueDepth).toBe(12);
    expect(figures.process.cpuShare).toBe(0.5);

    const fast = figures.routes.find((route) => route.route === '/fast')!;
    expect(fast).toMatchObject({ method: 'GET', rate: 10, total: 20, clientErrors: 1, serverErrors: 1 });
    const slow = figures.routes.find((route) => route.route === '/slow')!;
    expect(slow.rate).toBe(0);
    // No request in the interval: the route shows its latency over all its requests.
    expect(slow.p50).toBeGreaterThan(0.1);

    expect(figures.counters).toEqual([
      { name: 'vstack_validator_tasks_total', labels: { outcome: 'completed' }, rate: 3, total: 9 },
      { name: 'vstack_validator_tasks_total', labels: { outcome: 'failed' }, rate: 1, total: 2 },
    ]);
    expect(figures.gauges).toEqual([{ name: 'vstack_synthesizing_queue_depth', labels: {}, value: 12 }]);
  });

  it("counts the jobs waiting to be taken in the queues' depth gauge, not those running or failed", async () => {
    const registry = new Registry();
    const jobs = new Gauge({
      name: 'vstack_queue_jobs',
      help: 'q',
      labelNames: ['queue', 'state'],
      registers: [registry],
    });
    jobs.set({ queue: 'organic-tasks', state: 'waiting' }, 4);
    jobs.set({ queue: 'organic-tasks', state: 'prioritized' }, 2);
    jobs.set({ queue: 'synthetic-tasks', state: 'delayed' }, 1);
    jobs.set({ queue: 'organic-tasks', state: 'active' }, 16);
    jobs.set({ queue: 'organic-tasks', state: 'failed' }, 30);
    const figures = serviceFigures(undefined, await scrapeAt(registry, 0));
    expect(figures.queueDepth).toBe(7);
  });

  it('has totals but no rates from a single scrape', async () => {
    const service = serviceRegistry();
    service.request('/a', 200, 0.05);
    const figures = serviceFigures(undefined, await scrapeAt(service.registry, 0));
    expect(figures.http.rate).toBeUndefined();
    expect(figures.http.total).toBe(1);
    expect(figures.errorRate).toBeUndefined();
    expect(figures.http.p50).toBeGreaterThan(0.01);
    expect(figures.queueDepth).toBe(0);
  });
});
