import { loadavg } from 'node:os';
import pg from 'pg';
import {
  observe,
  recoveredAt,
  summarize,
  type TimelinePoint,
  timeline,
  type WindowSummary,
} from './analysis';
import { NETUID, TEMPO } from '../stack';
import {
  auditChainWeights,
  auditGateway,
  auditWeights,
  type ChainWeightsAudit,
  type GatewayAudit,
  querySchema,
  type WeightsAudit,
} from './audit';
import type { Fault, FaultContext, Strike } from './faults';
import { type LoadKey, OpenLoopLoad } from './load';
import { minerCallsBetween, readMinerCalls } from './miner-calls';
import { type ProcessUse, processUse, sampleAll } from './processes';

// A reliability run: open-loop load on the gateway of a running pipeline, faults struck one after another while it
// runs, then the records audited and what users saw summarised per fault.

export interface RunOptions {
  context: FaultContext;
  databaseUrl: string;
  /** Submissions per second. */
  rate: number;
  /** Load before the baseline, not counted: connections, caches and JIT warm up. */
  warmupMs: number;
  /** Load before the first fault, the healthy reference. */
  baselineMs: number;
  faults: readonly Fault[];
  /** Load after each fault is undone, before the next one. */
  settleMs: number;
  /** How long to wait, after the load stops, for accepted tasks to finish. */
  drainMs: number;
  /** A stretch this long of healthy submissions means recovered. */
  recoveryHoldMs?: number;
  /** The validator's METRICS_TOKEN: with it, each stretch reports the validator's miner calls by outcome. */
  metricsToken?: string;
}

export interface FaultReport {
  name: string;
  description: string;
  strike: Strike;
  /** From the strike until the next fault (or the end of the load). */
  window: WindowSummary;
  /** From the strike to the start of healthy service again; undefined when it did not come back in the window. */
  recoveryMs: number | undefined;
  /** The validator's miner calls by outcome in the window; undefined when it restarted or was not read. */
  minerCalls: Record<string, number> | undefined;
}

export interface RunReport {
  rate: number;
  durationMs: number;
  baseline: WindowSummary;
  /** The validator's miner calls by outcome during the baseline, when read. */
  baselineMinerCalls: Record<string, number> | undefined;
  /** Healthy: every submission accepted and completed, end-to-end p90 within this (3x the baseline's, at least 1 s). */
  healthyWithinMs: number;
  faults: FaultReport[];
  whole: WindowSummary;
  /** The whole run in 5-second stretches (from the start of the load). */
  timeline: TimelinePoint[];
  accepted: number;
  /** Tasks kept (and run) whose submission got no answer: a crash between the commit and the response. */
  unacknowledged: number;
  gateway: GatewayAudit;
  weights: WeightsAudit;
  /** The weights extrinsics on chain, read block by block: what the sidecar's records must agree with. */
  chainWeights: ChainWeightsAudit;
  processes: ProcessUse[];
  /** The machine's 1-minute load average when the load stopped (two cores: above 2 means waiting for CPU). */
  loadAverage: number;
  /** CPU time of every process of the stack per completed task, in ms; NaN when a process was restarted. */
  cpuMsPerTask: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the run's API keys: plenty of credits and no rate limit to speak of. */
async function makeKeys(url: string, adminToken: string, count: number): Promise<LoadKey[]> {
  const keys: LoadKey[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await fetch(`${url}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `reliability-${index}`,
        scopes: ['arithmetic'],
        credits: 1_000_000_000,
        rate_limit_per_minute: 1_000_000,
      }),
    });
    const body = (await response.json()) as { id: string; secret: string };
    if (response.status !== 201)
      throw new Error(`creating a key answered ${response.status}: ${JSON.stringify(body)}`);
    keys.push({ id: body.id, secret: body.secret });
  }
  return keys;
}

export async function runReliability(options: RunOptions, adminToken: string): Promise<RunReport> {
  const { pipeline, log } = options.context;
  const gateway = pipeline.gateway;
  const sidecarSchema = pipeline.schemas.get('sidecar');
  if (!gateway || !sidecarSchema) throw new Error('a reliability run needs the gateway and the sidecar');
  const keys = await makeKeys(gateway.url, adminToken, 4);
  // The gateway may restart during the run: the load reads its URL, which keeps its port.
  const load = new OpenLoopLoad({ url: gateway.url, keys, rate: options.rate });
  const loadStarted = Date.now();
  load.start();
  log(`load at ${options.rate}/s`);
  await sleep(options.warmupMs);
  const startSamples = sampleAll(pipeline.processes());
  const token = options.metricsToken;
  // Each reading with the validator's pid: a restart in between begins its counters again, so that stretch has none.
  const readCalls = async () => ({
    pid: pipeline.validator.pid,
    calls: token === undefined ? undefined : await readMinerCalls(pipeline.validator.port, token),
  });
  const callsBetween = (from: number) => {
    const [before, after] = [callReadings[from], callReadings[from + 1]];
    return before?.pid === after?.pid ? minerCallsBetween(before?.calls, after?.calls) : undefined;
  };
  // Read at the start of the baseline, before each fault and at the end: each stretch is between two readings.
  const callReadings = [await readCalls()];
  const started = Date.now();
  await sleep(options.baselineMs);
  const strikes: Strike[] = [];
  for (const fault of options.faults) {
    callReadings.push(await readCalls());
    log(`fault: ${fault.description}`);
    const strike = await fault.strike(options.context);
    strikes.push(strike);
    log(`${fault.name}: undone after ${((strike.restoredAt - strike.struckAt) / 1000).toFixed(1)} s`);
    await sleep(options.settleMs);
  }
  const submissions = await load.stop();
  const stopped = Date.now();
  callReadings.push(await readCalls());
  const loadAverage = loadavg()[0] ?? Number.NaN;
  const endSamples = sampleAll(pipeline.processes());
  const accepted = submissions.flatMap((submission) =>
    submission.taskId === undefined ? [] : [submission.taskId],
  );
  log(
    `load stopped: ${submissions.length} submitted, ${accepted.length} accepted; waiting for them to finish`,
  );

  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const drainUntil = Date.now() + options.drainMs;
    for (;;) {
      const [row] = await querySchema<{ count: string }>(
        client,
        gateway.schema,
        `SELECT count(*) FROM $schema.gateway_tasks WHERE status IN ('PENDING', 'QUEUED', 'PROCESSING')`,
      );
      if (Number(row?.count ?? 0) === 0 || Date.now() > drainUntil) break;
      await sleep(1_000);
    }
    const { audit, outcomes } = await auditGateway(client, gateway.schema, accepted);
    // Submissions whose answer a crash cut off after the task was kept: the client saw no id, the task ran.
    const [unacknowledged] = await querySchema<{ count: string }>(
      client,
      gateway.schema,
      'SELECT count(*) FROM $schema.gateway_tasks WHERE NOT (id = ANY($1::uuid[]))',
      [accepted],
    );
    const weights = await auditWeights(client, sidecarSchema);
    const chainWeights = await auditChainWeights(pipeline.devnet.url, NETUID, TEMPO);
    const observed = observe(submissions, outcomes);
    // The last seconds before the first fault are left out: their tasks may still be running when it strikes.
    const baseline = summarize(
      observed,
      started,
      started +
        options.baselineMs -
        (options.faults.length > 0 ? Math.min(5_000, options.baselineMs / 2) : 0),
    );
    const healthyWithinMs = Math.max(1_000, 3 * baseline.endToEndP90Ms);
    const faults = options.faults.map((fault, index): FaultReport => {
      const strike = strikes[index] as Strike;
      const until = strikes[index + 1]?.struckAt ?? stopped;
      const recovered = recoveredAt(
        observed,
        strike.struckAt,
        until,
        healthyWithinMs,
        options.recoveryHoldMs ?? 5_000,
      );
      return {
        name: fault.name,
        description: fault.description,
        strike,
        window: summarize(observed, strike.struckAt, until),
        recoveryMs: recovered === undefined ? undefined : recovered - strike.struckAt,
        minerCalls: callsBetween(index + 1),
      };
    });
    const processes = processUse(startSamples, endSamples);
    const completed = audit.byStatus['COMPLETED'] ?? 0;
    return {
      rate: options.rate,
      durationMs: stopped - loadStarted,
      baseline,
      baselineMinerCalls: callsBetween(0),
      healthyWithinMs,
      faults,
      whole: summarize(observed, loadStarted, stopped),
      timeline: timeline(observed, loadStarted, stopped, 5_000),
      accepted: accepted.length,
      unacknowledged: Number(unacknowledged?.count ?? 0),
      gateway: audit,
      weights,
      chainWeights,
      processes,
      loadAverage,
      cpuMsPerTask:
        completed === 0 || processes.some((use) => use.restarted)
          ? Number.NaN
          : (processes.reduce((sum, use) => sum + use.cpuSeconds, 0) * 1000) / completed,
    };
  } finally {
    await client.end();
  }
}
