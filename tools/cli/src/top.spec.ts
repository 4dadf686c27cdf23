import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Reading } from './client';
import { parseMetricsText } from './metrics-text';
import type { ServiceTarget } from './services';
import { stripAnsi } from './text';
import { runTop, type TopDeps } from './top';

const target = (name: string, port: number): ServiceTarget => ({
  name,
  url: `http://127.0.0.1:${port}`,
  source: 'default',
  metricsToken: undefined,
});

/** A service whose /metrics gains `perReading` requests (and a deeper queue) each time it is read. */
function growingService(perReading: number) {
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
    buckets: [0.01, 0.1],
    registers: [registry],
  });
  const depth = new Gauge({ name: 'vstack_synthesizing_queue_depth', help: 'q', registers: [registry] });
  let at = 0;
  return async (): Promise<Reading> => {
    const set = { method: 'POST', route: '/v1/tasks', status_code: '202', service: 'x' };
    requests.inc(set, perReading);
    for (let i = 0; i < perReading; i++) duration.observe(set, 0.005);
    depth.inc(3);
    at += 1000;
    return {
      metrics: { ok: true, scrape: { at, families: parseMetricsText(await registry.metrics()) } },
      readiness: { state: 'ready', checks: { redis: { ok: true, durationMs: 1 } } },
    };
  };
}

function deps(read: TopDeps['read'], written: string[]): TopDeps {
  return {
    read,
    screen: { write: (text) => written.push(text), isTTY: false, columns: undefined, rows: undefined },
    keyboard: undefined,
    onStopSignal: () => () => undefined,
    now: () => new Date('2026-01-01T12:00:00Z'),
  };
}

describe('runTop --once', () => {
  it('prints the overview after two readings, one line per service, and exits 1 when one is down', async () => {
    const written: string[] = [];
    const gateway = growingService(20);
    const status = await runTop(
      {
        view: 'overview',
        targets: [target('gateway', 3000), target('scoring', 3003)],
        intervalMs: 1,
        colour: false,
        once: true,
      },
      deps(async (service) => {
        if (service.name === 'gateway') return gateway();
        return {
          metrics: { ok: false, reason: 'connection refused' },
          readiness: { state: 'down', reason: 'connection refused' },
        };
      }, written),
    );
    expect(status).toBe(1);
    expect(written).toHaveLength(1);
    const lines = stripAnsi(written[0] ?? '')
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe('vstack top  12:00:00 UTC  every 0.001 s');
    expect(lines[2]).toMatch(/^service\s+url\s+state\s+req\/s\s+p50\s+p99\s+errors\s+queue$/);
    // 20 requests a second between the readings, all under 10 ms, none failed; the queue gauge read 6.
    expect(lines[3]).toMatch(
      /^gateway\s+http:\/\/127\.0\.0\.1:3000\s+up · ready\s+20\.0\/s\s+5 ms\s+9\.9 ms\s+0\/s\s+6$/,
    );
    expect(lines[4]).toMatch(/^scoring\s+http:\/\/127\.0\.0\.1:3003\s+down(\s+—){5}\s+connection refused$/);
  });

  it('prints one service in detail and exits 0', async () => {
    const written: string[] = [];
    const status = await runTop(
      { view: 'service', targets: [target('gateway', 3000)], intervalMs: 1, colour: false, once: true },
      deps(growingService(5), written),
    );
    expect(status).toBe(0);
    const screen = stripAnsi(written.join(''));
    expect(screen).toContain('status   up · ready   redis ok 1 ms');
    expect(screen).toMatch(/^http\s+5\.0\/s\s+total 10\s+5xx 0\/s/m);
    expect(screen).toMatch(/^\s+POST \/v1\/tasks\s+5\.0\/s\s+10\s+0\s+0\s/m);
    expect(screen).toMatch(/^\s+synthesizing_queue_depth\s+6$/m);
  });
});
