import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DashboardSpec,
  dashboardQueries,
  dashboardSpecs,
  dashboardsDir,
  exportedMetricFamilies,
  metricNamesInExpression,
  scrapeSeries,
  unknownMetrics,
} from '@vstack/dashboards';
import { waitFor } from '@vstack/local-infra';
import { uniqueTestName, workspaceRoot } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  committedPrometheusConfig,
  findExecutable,
  localPrometheusConfig,
  type RunningPrometheus,
  startPrometheus,
} from './prometheus';
import { GATEWAY_ADMIN_TOKEN, minerSpecs, type Pipeline, startPipeline } from './stack';

// The Grafana dashboards against the real services: the pipeline runs (devnet, two miners behind proxies, every
// service and the gateway) until each panel's metrics have samples; then every metric a dashboard queries must be
// one its service exports, and, where a `prometheus` binary is installed, every query must return data from a
// real Prometheus scraping them with the committed config.

const METRICS_TOKEN = 'metrics-e2e-scrape-token';
/** What Grafana's $__rate_interval is at a 1 s scrape interval, give or take. */
const RATE_INTERVAL = '10s';
const prometheusBinary = findExecutable('prometheus');
/** Said in the test's name when it is skipped, so every reporter shows why. */
const noPrometheus =
  prometheusBinary === undefined
    ? ' (skipped: no `prometheus` binary on PATH; Debian: apt-get install --no-install-recommends prometheus)'
    : '';

/** The committed JSON of a service's dashboard, as Grafana loads it. */
function committedDashboard(spec: DashboardSpec): unknown {
  return JSON.parse(readFileSync(join(dashboardsDir, `${spec.service}.json`), 'utf8')) as unknown;
}

/** The queries of a spec whose panels must show data on a working stack. */
function queriesExpectingData(spec: DashboardSpec): string[] {
  return spec.rows
    .flatMap((row) => row.panels)
    .filter((panel) => panel.emptyWhen === undefined)
    .flatMap((panel) => panel.queries.map((query) => query.expr));
}

/** True when the exposition has a sample (not only HELP and TYPE) of the series. */
function hasSample(exposition: string, series: string): boolean {
  return exposition
    .split('\n')
    .some((line) => line.startsWith(`${series}{`) || line.startsWith(`${series} `));
}

describe('dashboards against the running services', () => {
  const redisUrl = inject('redisUrl');
  const databaseUrl = inject('databaseUrl');
  const prefix = uniqueTestName('metrics_e2e');
  let pipeline: Pipeline | undefined;
  let prometheus: RunningPrometheus | undefined;
  /** Each dashboard's service: the ports of its processes (several miner proxies). */
  const ports = new Map<string, number[]>();
  /** Each service's /metrics as first read, right after it started. */
  const atStart = new Map<string, string>();
  const savedToken = process.env.METRICS_TOKEN;

  const scrape = async (port: number): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    if (!response.ok) throw new Error(`GET /metrics on ${port}: ${response.status} ${await response.text()}`);
    return response.text();
  };
  const firstPort = (service: string): number => {
    const port = ports.get(service)?.[0];
    if (port === undefined) throw new Error(`no ${service} is running`);
    return port;
  };

  beforeAll(async () => {
    // startApp hands its own environment to every process it spawns, the devnet and the miners' included.
    process.env.METRICS_TOKEN = METRICS_TOKEN;
    pipeline = await startPipeline({
      redisUrl,
      databaseUrl,
      prefix,
      miners: minerSpecs([
        { DEMO_MINER_SEED: '11' },
        { DEMO_MINER_SEED: '12', DEMO_MINER_ERROR_RATE: '0.5' },
      ]),
      gateway: true,
    });
    const running = pipeline;
    ports.set('devnet', [running.devnet.port]);
    ports.set(
      'demo-miner',
      [...running.miners.values()].map((miner) => miner.demo.port),
    );
    ports.set(
      'miner-proxy',
      [...running.miners.values()].map((miner) => miner.proxy.port),
    );
    for (const [service, app] of Object.entries({
      sidecar: running.sidecar,
      managing: running.managing,
      scoring: running.scoring,
      synthesizing: running.synthesizing,
      validator: running.validator,
    })) {
      ports.set(service, [app.port]);
    }
    if (running.gateway) ports.set('gateway', [running.gateway.app.port]);
    for (const spec of dashboardSpecs) atStart.set(spec.service, await scrape(firstPort(spec.service)));

    // One organic task, so the gateway's and the validator's organic panels have something to show.
    const gatewayUrl = running.gateway?.url ?? '';
    const keyResponse = await fetch(`${gatewayUrl}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'metrics e2e', scopes: ['arithmetic'], credits: 100 }),
    });
    expect(keyResponse.status).toBe(201);
    const { secret } = (await keyResponse.json()) as { secret: string };
    const task = await fetch(`${gatewayUrl}/v1/arithmetic`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { operation: 'add', a: '20', b: '22' } }),
    });
    expect(task.status).toBe(202);

    // Until every panel that should show data has samples of each metric it queries (weights need an epoch).
    let missing: string[] = [];
    await waitFor(
      async () => {
        missing = [];
        for (const spec of dashboardSpecs) {
          const exposition = await scrape(firstPort(spec.service));
          for (const expr of queriesExpectingData(spec)) {
            for (const series of metricNamesInExpression(expr)) {
              if (!scrapeSeries.includes(series) && !hasSample(exposition, series)) {
                missing.push(`${spec.service}: ${series}`);
              }
            }
          }
        }
        return missing.length === 0;
      },
      { timeoutMs: 150_000, intervalMs: 1_000, description: 'samples of every dashboard metric' },
    ).catch((error: unknown) => {
      throw new Error(`never observed: ${[...new Set(missing)].join(', ')}\n${running.output()}`, {
        cause: error,
      });
    });
  }, 240_000);

  afterAll(async () => {
    await prometheus?.stop();
    await pipeline?.stop();
    if (savedToken === undefined) delete process.env.METRICS_TOKEN;
    else process.env.METRICS_TOKEN = savedToken;
  });

  it.each(dashboardSpecs.map((spec) => [spec.service, spec] as const))(
    'the %s dashboard queries only metrics its service exports from the start',
    (service, spec) => {
      const exported = exportedMetricFamilies(atStart.get(service) ?? '');
      expect(exported.size).toBeGreaterThan(0);
      expect(unknownMetrics(committedDashboard(spec), exported)).toEqual([]);
    },
  );

  it('reports a panel querying a metric the gateway does not export', () => {
    const exported = exportedMetricFamilies(atStart.get('gateway') ?? '');
    const fake = {
      panels: [
        { title: 'Made up', targets: [{ expr: 'sum(rate(vstack_gateway_tasks_teleported_total[5m]))' }] },
        { title: 'Real', targets: [{ expr: 'sum(rate(vstack_gateway_tasks_accepted_total[5m]))' }] },
      ],
    };
    expect(unknownMetrics(fake, exported)).toEqual([
      { panel: 'Made up', metric: 'vstack_gateway_tasks_teleported_total' },
    ]);
  });

  it.skipIf(prometheusBinary === undefined)(
    `every dashboard query returns data from a real Prometheus scraping the services${noPrometheus}`,
    async () => {
      const binary = prometheusBinary ?? 'prometheus';
      const targets = Object.fromEntries(
        [...ports].map(([service, servicePorts]) => [
          service,
          servicePorts.map((port) => `127.0.0.1:${port}`),
        ]),
      );
      prometheus = await startPrometheus(binary, METRICS_TOKEN, (tokenFile) =>
        localPrometheusConfig(committedPrometheusConfig(workspaceRoot), targets, tokenFile),
      );
      const server = prometheus;
      const run = (expr: string) => server.query(expr.replaceAll('$__rate_interval', RATE_INTERVAL));

      // Every target up first: a wrong token or path would leave them down and every query empty.
      await waitFor(
        async () => {
          const answer = await run('count(up == 1)');
          const up = Number((answer.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1]);
          return up === Object.values(targets).flat().length;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: 'every target up' },
      );

      // Whether a panel may be empty is read from its spec, by title: the queries come from the committed files.
      const queries = dashboardSpecs.flatMap((spec) =>
        dashboardQueries(committedDashboard(spec)).map((query) => {
          const panel = spec.rows
            .flatMap((row) => row.panels)
            .find((candidate) => candidate.title === query.panel);
          if (!panel)
            throw new Error(`${spec.service}.json has a panel libs/dashboards does not: ${query.panel}`);
          return { service: spec.service, ...query, expectsData: panel.emptyWhen === undefined };
        }),
      );
      expect(queries.filter((query) => query.expectsData).length).toBeGreaterThan(0);
      // Real Prometheus (not only the parser here) accepts every query.
      for (const { service, panel, expr } of queries) {
        const answer = await run(expr);
        expect(answer.error, `${service} / ${panel}: ${expr}`).toBeUndefined();
        expect(answer.status, `${service} / ${panel}`).toBe('success');
      }
      const emptyQueries = async () => {
        const found: string[] = [];
        for (const { service, panel, expr, expectsData } of queries) {
          if (!expectsData) continue;
          const answer = await run(expr);
          if ((answer.data?.result.length ?? 0) === 0) found.push(`${service} / ${panel}: ${expr}`);
        }
        return found;
      };
      // Rates need two scrapes inside their window: a few seconds after the targets come up.
      let stillEmpty: string[] = [];
      await waitFor(
        async () => {
          stillEmpty = await emptyQueries();
          return stillEmpty.length === 0;
        },
        { timeoutMs: 60_000, intervalMs: 1_000, description: 'data for every dashboard query' },
      ).catch(() => undefined);
      expect(stillEmpty).toEqual([]);
    },
  );
});
