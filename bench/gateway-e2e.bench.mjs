#!/usr/bin/env node
// End-to-end latency of organic tasks through the whole stack, every part a real process on this machine: the
// gateway (HTTP, API key, credits in PostgreSQL, BullMQ job), the validator (managing's selection over the Redis
// transport, an Epistula-signed request), a miner proxy (Epistula checks against the devnet's metagraph) and a demo
// miner, the result back through the organic-results queue; beside them the devnet, the sidecar, scoring (the
// validator sends it every organic answer) and synthesizing (60 arithmetic challenges a minute).
//
//   node bench/gateway-e2e.bench.mjs [--rates 200,1000] [--duration 60] [--drain 60] [--mode async|wait]
//                                    [--baseline-duration 10] [--miners 8]
//
// Arrivals are open-loop: request i of a phase is sent at start + i / rate whether or not earlier ones have been
// answered, and its latency counts from that planned moment (a client that falls behind adds its own delay to the
// figures instead of hiding it). Each phase offers `rate` arithmetic tasks a second for `duration` seconds, then
// waits up to `drain` seconds for the tasks it left unfinished. In `async` mode (the default) a submission answers
// 202 and the task's end is its `finished_at` in PostgreSQL (the gateway's clock, which is this machine's); in
// `wait` mode each request carries `Prefer: wait=60` and the latency is the response's. Rates run from low to high,
// so a backlog left by an unsustainable rate cannot slow a lower one.
//
// Baselines in the same run: the same demo miner called directly (`POST /tasks/arithmetic`) at each rate, open-loop,
// for `baseline-duration` seconds; and the gateway's own answer (202) in async mode.
//
// Builds every app it starts and the pipeline harness (tools/e2e/src/stack.ts); needs Redis at REDIS_URL
// (redis://127.0.0.1:6379) and PostgreSQL at DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres). Its
// Redis prefix and PostgreSQL schemas are removed at the end.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,1000' },
    duration: { type: 'string', default: '60' },
    drain: { type: 'string', default: '60' },
    mode: { type: 'string', default: 'async' },
    'baseline-duration': { type: 'string', default: '10' },
    miners: { type: 'string', default: '8' },
  },
});
const rates = values.rates.split(',').map(Number);
const durationS = Number(values.duration);
const drainS = Number(values.drain);
const baselineS = Number(values['baseline-duration']);
const mode = values.mode;
const minerCount = Number(values.miners);
if (rates.some((rate) => !(rate > 0)) || !(durationS > 0) || !['async', 'wait'].includes(mode)) {
  console.error('usage: --rates 200,1000 --duration 60 --drain 60 --mode async|wait --baseline-duration 10');
  process.exit(2);
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const apps = [
  'devnet',
  'demo-miner',
  'miner-proxy',
  'sidecar',
  'managing',
  'scoring',
  'synthesizing',
  'validator',
];

function build(project, entry) {
  const built = spawnSync(process.execPath, ['tools/build.mjs', '--project', project, '--entry', entry], {
    cwd: root,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`building ${project} failed: ${built.stderr || built.stdout}`);
}

/** Epoch milliseconds with sub-millisecond resolution (the same clock as Date.now). */
const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentiles(latencies) {
  if (latencies.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

/**
 * Sends `rate` requests a second for `seconds`, each at its planned moment; `send(i)` resolves with what became of
 * request i. Returns the results with each one's planned moment.
 */
async function openLoop(rate, seconds, send) {
  const total = Math.round(rate * seconds);
  const start = nowMs() + 50;
  const results = new Array(total);
  const pending = [];
  let next = 0;
  while (next < total) {
    const now = nowMs();
    while (next < total && start + (next * 1000) / rate <= now) {
      const index = next;
      const planned = start + (index * 1000) / rate;
      pending.push(
        send(index).then(
          (outcome) => {
            results[index] = { planned, ...outcome };
          },
          (error) => {
            results[index] = { planned, ok: false, error: `network: ${error.cause?.code ?? error.message}` };
          },
        ),
      );
      next += 1;
    }
    const wake = start + (next * 1000) / rate - nowMs();
    await sleep(Math.max(0, Math.min(wake, 5)));
  }
  return { start, end: start + (total * 1000) / rate, results, settled: Promise.all(pending) };
}

function countErrors(results) {
  const errors = {};
  for (const result of results) if (!result.ok) errors[result.error] = (errors[result.error] ?? 0) + 1;
  return errors;
}

async function main() {
  for (const app of apps.concat('gateway')) build(`apps/${app}`, 'src/main.ts');
  build('tools/e2e', 'src/stack.ts');
  const { startPipeline, minerSpecs, GATEWAY_ADMIN_TOKEN } = await import(
    join(root, 'dist/tools/e2e/stack.js')
  );
  const { Agent, request } = await import('undici');
  const { default: pg } = await import('pg');

  const prefix = `bench_gateway_e2e_${randomUUID().slice(0, 8)}`;
  const pipeline = await startPipeline({
    redisUrl,
    databaseUrl,
    prefix,
    gateway: true,
    miners: minerSpecs(
      Array.from({ length: minerCount }, (_, index) => ({ DEMO_MINER_SEED: String(index + 1) })),
    ),
    log: (message) => console.error(`[bench] ${message}`),
    env: {
      synthesizing: { SYNTHESIZING_TASKS_PER_MINUTE: 'arithmetic=60', SYNTHESIZING_MAX_QUEUE_DEPTH: '20' },
      gateway: { GATEWAY_MAX_WAIT_SECONDS: '60', LOG_LEVEL: 'error' },
      validator: { LOG_LEVEL: 'error' },
    },
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  const agent = new Agent({ connections: 4096, pipelining: 1, keepAliveTimeout: 30_000 });
  const rows = [];
  try {
    await db.connect();
    const gatewayUrl = pipeline.gateway.url;
    const schema = pg.escapeIdentifier(pipeline.gateway.schema);
    const made = await request(`${gatewayUrl}/v1/admin/keys`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${GATEWAY_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'bench',
        scopes: ['arithmetic'],
        credits: 1_000_000_000,
        rate_limit_per_minute: 1_000_000,
      }),
    });
    const key = await made.body.json();
    if (made.statusCode !== 201) throw new Error(`no key: ${JSON.stringify(key)}`);
    const demoPort = pipeline.miners.get(1).demo.port;
    const body = (index) =>
      JSON.stringify({ input: { operation: 'add', a: String(1_000_000 + index), b: String(index) } });

    // Warm-up: every connection, cache and JIT path once, 5 s at a low rate, not counted.
    await (
      await openLoop(50, 5, async (index) => {
        const response = await request(`${gatewayUrl}/v1/arithmetic`, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            authorization: `Bearer ${key.secret}`,
            'content-type': 'application/json',
            prefer: 'wait=30',
          },
          body: body(index),
        });
        await response.body.text();
        return { ok: response.statusCode === 200 };
      })
    ).settled;

    for (const rate of rates) {
      // Baseline: the demo miner alone at the same offered rate.
      const direct = await openLoop(rate, baselineS, async (index) => {
        const response = await request(`http://127.0.0.1:${demoPort}/tasks/arithmetic`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ operation: 'add', a: String(index), b: '1' }),
        });
        await response.body.text();
        return response.statusCode === 200
          ? { ok: true, answeredAt: nowMs() }
          : { ok: false, error: `HTTP ${response.statusCode}` };
      });
      await direct.settled;
      const directLatencies = direct.results.filter((r) => r.ok).map((r) => r.answeredAt - r.planned);
      rows.push({
        what: 'demo miner directly',
        rate,
        seconds: baselineS,
        offered: direct.results.length,
        achieved: directLatencies.length / baselineS,
        ...percentiles(directLatencies),
        errors: countErrors(direct.results),
        load: loadavg()[0],
      });
      console.error(`[bench] baseline at ${rate}/s done`);

      const phase = await openLoop(rate, durationS, async (index) => {
        const response = await request(`${gatewayUrl}/v1/arithmetic`, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            authorization: `Bearer ${key.secret}`,
            'content-type': 'application/json',
            ...(mode === 'wait' ? { prefer: 'wait=60' } : {}),
          },
          body: body(index),
        });
        const answeredAt = nowMs();
        const task = await response.body.json().catch(() => ({}));
        if (mode === 'wait') {
          if (response.statusCode === 200 && task.status === 'COMPLETED')
            return { ok: true, id: task.id, answeredAt };
          return {
            ok: false,
            id: task.id,
            error: `HTTP ${response.statusCode} ${task.status ?? task.error?.code}`,
          };
        }
        return response.statusCode === 202 || response.statusCode === 200
          ? { ok: true, id: task.id, answeredAt }
          : { ok: false, error: `HTTP ${response.statusCode} ${task.error?.code ?? ''}`.trim() };
      });
      const loadAtEnd = loadavg()[0];
      // The drain: tasks of the phase still going get up to `drain` seconds more.
      const drainUntil = phase.end + drainS * 1000;
      await Promise.race([phase.settled, sleep(Math.max(0, drainUntil - nowMs()))]);
      const ids = () => phase.results.filter((r) => r?.id).map((r) => r.id);
      let finished = [];
      for (;;) {
        const { rows: tasks } = await db.query(
          `SELECT id, status, extract(epoch FROM finished_at) * 1000 AS finished_ms FROM ${schema}.gateway_tasks
             WHERE id = ANY($1::uuid[])`,
          [ids()],
        );
        finished = tasks;
        const open = tasks.filter((task) => task.finished_ms === null).length;
        if (open === 0 || nowMs() > drainUntil) break;
        await sleep(1_000);
      }
      const byId = new Map(finished.map((task) => [task.id, task]));
      const latencies = [];
      const errors = countErrors(phase.results.filter(Boolean));
      let completedInWindow = 0;
      let unfinished = 0;
      let failedTasks = 0;
      const acceptLatencies = [];
      for (const result of phase.results) {
        if (!result?.id) {
          if (result === undefined)
            errors['no answer before the drain ended'] =
              (errors['no answer before the drain ended'] ?? 0) + 1;
          continue;
        }
        if (mode === 'async' && result.ok) acceptLatencies.push(result.answeredAt - result.planned);
        const task = byId.get(result.id);
        if (!task || task.finished_ms === null) {
          unfinished += 1;
          continue;
        }
        const finishedMs = Number(task.finished_ms);
        if (task.status !== 'COMPLETED') {
          failedTasks += 1;
          continue;
        }
        if (finishedMs <= phase.end) completedInWindow += 1;
        latencies.push((mode === 'wait' && result.ok ? result.answeredAt : finishedMs) - result.planned);
      }
      if (unfinished > 0) errors['unfinished at the end of the drain'] = unfinished;
      if (failedTasks > 0) errors['task FAILED'] = failedTasks;
      rows.push({
        what: `gateway → COMPLETED (${mode})`,
        rate,
        seconds: durationS,
        offered: phase.results.length,
        achieved: completedInWindow / ((phase.end - phase.start) / 1000),
        completed: latencies.length,
        ...percentiles(latencies),
        errors,
        load: loadAtEnd,
      });
      if (mode === 'async') {
        rows.push({
          what: 'gateway 202 alone',
          rate,
          seconds: durationS,
          offered: phase.results.length,
          achieved: acceptLatencies.length / durationS,
          ...percentiles(acceptLatencies),
          errors: {},
          load: loadAtEnd,
        });
      }
      console.error(`[bench] ${rate}/s done: ${JSON.stringify(rows.at(mode === 'async' ? -2 : -1))}`);
    }
  } finally {
    // A 5xx is the gateway's own failure: its recent log says why.
    if (rows.some((row) => Object.keys(row.errors).some((error) => /^HTTP 5/.test(error)))) {
      console.error(`--- gateway output ---\n${pipeline.gateway.app.output()}`);
    }
    await agent.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await pipeline.stop();
  }

  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${cpu} (${cpus().length} vCPU), Node ${process.version}\n`,
  );
  console.log(
    '| path | offered/s | for | sent | achieved/s | p50 | p99 | max | errors | load 1 min |\n' +
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  );
  const ms = (value) =>
    Number.isNaN(value) ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
  for (const row of rows) {
    const errors = Object.entries(row.errors)
      .map(([what, count]) => `${count} ${what}`)
      .join('; ');
    console.log(
      `| ${row.what} | ${row.rate} | ${row.seconds} s | ${row.offered} | ${row.achieved.toFixed(1)} | ${ms(row.p50)} | ${ms(row.p99)} | ${ms(row.max)} | ${errors || '0'} | ${row.load.toFixed(1)} |`,
    );
  }
}

await main();
