import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RestartableService, startPrivatePostgres, startPrivateRedis } from '@vstack/local-infra';
import { uniqueTestName, workspaceRoot } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GATEWAY_ADMIN_TOKEN, minerSpecs, type Pipeline, startPipeline } from '../stack';
import { badMiner, type Fault, killService, restartPostgres, restartRedis, stopDevnet } from './faults';
import { formatReport } from './report';
import { type RunReport, runReliability } from './run';

// The stack under load and faults, every part a real process. The short run is part of the suite: a crash of the
// validator and of the gateway while tasks come in, with nothing lost and nothing charged twice. The long runs
// (VSTACK_RELIABILITY=1) hold the load for minutes and strike every fault RELIABILITY.md reports, on a private Redis
// with its append-only file and a private PostgreSQL cluster that they restart; their reports are written to
// tmp/reliability/.

const reliable = (index: number) => ({ DEMO_MINER_SEED: String(5_000 + index) });
/** The validator's /metrics is read for its miner calls by outcome in each stretch. */
const METRICS_TOKEN = 'reliability-metrics-token';
const longRuns = process.env['VSTACK_RELIABILITY'] === '1';
const numberFrom = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};

/** What every run must show, whatever its faults: nothing accepted is lost, every credit accounted for once. */
function expectNothingLost(report: RunReport): void {
  expect(report.accepted).toBeGreaterThan(0);
  expect(report.gateway.missing, 'accepted tasks missing from the records').toBe(0);
  expect(report.gateway.unfinished, 'accepted tasks never finished').toBe(0);
  expect(report.gateway.openHolds, 'holds without their release').toBe(0);
  expect(report.gateway.wrongDebits, 'tasks charged other than once when completed').toBe(0);
  expect(report.gateway.unbalancedKeys, 'keys whose balance is not their ledger').toBe(0);
  expect(report.weights.epochsSetTwice, 'epochs whose weights landed twice').toBe(0);
  expect(report.chainWeights.epochsSetTwice, 'epochs with two weights extrinsics on chain').toBe(0);
  // The chain is read after the sidecar's records, so it may hold one more that landed in between.
  expect(report.chainWeights.succeeded).toBeGreaterThanOrEqual(report.weights.epochsWithWeights);
  expect(report.chainWeights.succeeded).toBeLessThanOrEqual(report.weights.epochsWithWeights + 1);
}

async function saveReport(name: string, report: RunReport): Promise<string> {
  const text = formatReport(report);
  const folder = join(workspaceRoot, 'tmp/reliability');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, `${name}.md`), `${text}\n`);
  await writeFile(join(folder, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  return text;
}

describe('the stack through crashes under load', () => {
  const redisUrl = inject('redisUrl');
  const databaseUrl = inject('databaseUrl');
  let pipeline: Pipeline | undefined;
  const started = Date.now();
  const log = (message: string) => {
    console.info(`[reliability +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
  };

  beforeAll(async () => {
    pipeline = await startPipeline({
      redisUrl,
      databaseUrl,
      prefix: uniqueTestName('reliability'),
      miners: minerSpecs(Array.from({ length: 4 }, (_, index) => reliable(index))),
      gateway: true,
      // Submissions a crash interrupts are undone (their holds released) within seconds, not the default minute.
      env: {
        gateway: { GATEWAY_MAINTENANCE_INTERVAL_SECONDS: '1', GATEWAY_STALE_SUBMISSION_SECONDS: '10' },
        validator: { METRICS_TOKEN },
      },
      log,
    });
  }, 240_000);

  afterAll(async () => {
    await pipeline?.stop();
  }, 60_000);

  it('loses no accepted task and charges none twice when the validator and the gateway are killed', async () => {
    if (!pipeline) throw new Error('the pipeline did not start');
    const report = await runReliability(
      {
        context: { pipeline, log },
        databaseUrl,
        rate: 20,
        warmupMs: 5_000,
        baselineMs: 12_000,
        faults: [killService('validator'), killService('gateway')],
        settleMs: 15_000,
        drainMs: 90_000,
        metricsToken: METRICS_TOKEN,
      },
      GATEWAY_ADMIN_TOKEN,
    );
    log(`\n${await saveReport('suite', report)}`);
    expectNothingLost(report);
    // The miners are reliable: every accepted task completes, those a crash interrupted included.
    expect(report.gateway.byStatus).toEqual({ COMPLETED: report.accepted });
    for (const fault of report.faults) {
      expect(fault.recoveryMs, `${fault.name}: healthy again before the next fault`).toBeDefined();
    }
    // Submissions refused by the gateway's own fault are unanswered (0) or 503, never another 5xx.
    for (const status of Object.keys(report.whole.statuses).map(Number))
      expect([0, 202, 503]).toContain(status);
  }, 300_000);
});

describe.runIf(longRuns)('long reliability runs (VSTACK_RELIABILITY=1)', () => {
  const rate = numberFrom('VSTACK_RELIABILITY_RATE', 100);
  const loadMs = numberFrom('VSTACK_RELIABILITY_LOAD_SECONDS', 300) * 1000;
  const devnetStopMs = numberFrom('VSTACK_RELIABILITY_DEVNET_STOP_SECONDS', 120) * 1000;
  const minerFaultMs = 60_000;
  const settleMs = 45_000;
  let redis: RestartableService | undefined;
  let postgres: RestartableService | undefined;
  let pipeline: Pipeline | undefined;
  const started = Date.now();
  const log = (message: string) => {
    console.info(`[reliability +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
  };
  const miners = Array.from({ length: 8 }, (_, index) => reliable(index));

  beforeAll(async () => {
    // Room for every service's pool, and start timeouts for a machine under a fault run's load.
    redis = await startPrivateRedis({ appendOnly: true, startTimeoutMs: 30_000 });
    postgres = await startPrivatePostgres({ maxConnections: 300, startTimeoutMs: 60_000 });
    pipeline = await startPipeline({
      redisUrl: redis.url,
      databaseUrl: postgres.url,
      prefix: uniqueTestName('reliability_long'),
      miners: minerSpecs(miners),
      gateway: true,
      env: { validator: { METRICS_TOKEN } },
      log,
    });
  }, 300_000);

  afterAll(async () => {
    await pipeline?.stop();
    await Promise.allSettled([redis?.stop(), postgres?.stop()]);
  }, 120_000);

  it(`holds the offered load for ${loadMs / 1000} s with nothing lost and memory flat`, async () => {
    if (!pipeline || !postgres) throw new Error('the pipeline did not start');
    const report = await runReliability(
      {
        context: { pipeline, log },
        databaseUrl: postgres.url,
        rate,
        warmupMs: 20_000,
        baselineMs: loadMs,
        faults: [],
        settleMs: 0,
        drainMs: 600_000,
        metricsToken: METRICS_TOKEN,
      },
      GATEWAY_ADMIN_TOKEN,
    );
    log(`\n${await saveReport('load', report)}`);
    expectNothingLost(report);
  }, 7_200_000);

  it('comes back from every fault with nothing lost or done twice', async () => {
    if (!pipeline || !postgres) throw new Error('the pipeline did not start');
    const faults: Fault[] = [
      killService('validator'),
      killService('scoring'),
      killService('sidecar'),
      killService('managing'),
      killService('gateway'),
      restartRedis(5_000),
      restartPostgres(5_000),
      stopDevnet(devnetStopMs),
      badMiner(
        'miner hangs',
        'miner 1 takes 10 minutes to answer',
        1,
        { DEMO_MINER_LATENCY_MS: '600000' },
        miners[0] ?? {},
        minerFaultMs,
      ),
      badMiner(
        'miner answers garbage',
        'miner 2 answers garbage with status 200',
        2,
        { DEMO_MINER_GARBAGE_RATE: '1' },
        miners[1] ?? {},
        minerFaultMs,
      ),
      badMiner(
        'slow miner',
        'miner 3 answers after 3 s',
        3,
        { DEMO_MINER_LATENCY_MS: '3000' },
        miners[2] ?? {},
        minerFaultMs,
      ),
    ];
    const report = await runReliability(
      {
        context: { pipeline, redis, postgres, log },
        databaseUrl: postgres.url,
        rate: numberFrom('VSTACK_RELIABILITY_FAULT_RATE', rate / 2),
        warmupMs: 20_000,
        baselineMs: 30_000,
        faults,
        settleMs,
        drainMs: 600_000,
        metricsToken: METRICS_TOKEN,
      },
      GATEWAY_ADMIN_TOKEN,
    );
    log(`\n${await saveReport('faults', report)}`);
    expectNothingLost(report);
  }, 7_200_000);
});
