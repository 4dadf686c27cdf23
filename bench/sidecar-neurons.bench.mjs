#!/usr/bin/env node
// Benchmark: cached `GET /api/v1/subnet/1/block/latest/neurons` of the built sidecar for a 256-neuron subnet, against
// a bare Fastify route that returns the same bytes, in the same run; and how long the sidecar takes to refresh the
// metagraph of 256 neurons when a new block arrives.
//
//   node bench/sidecar-neurons.bench.mjs [--seconds 2] [--rounds 9] [--connections 16] [--blocks 30]
//
// Builds apps/devnet and apps/sidecar first (tools/build.mjs), starts the devnet (instant seal, a 256-neuron
// scenario), the sidecar (Redis and Postgres from REDIS_URL / DATABASE_URL, the local services by default; its own
// Redis prefix and Postgres schema, removed afterwards) and the bare server, each in its own process. The load
// generator (undici Pool, keep-alive, one request per connection at a time) alternates between the two servers;
// each round is `--seconds` long and the median round counts. It also reads each server's CPU time from /proc,
// which gives the CPU cost per request whatever the load generator's own limits.
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Pool } from 'undici';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '9' },
    connections: { type: 'string', default: '16' },
    blocks: { type: 'string', default: '30' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const BLOCKS = Number(values.blocks);
const NEURONS = 256;
const NETUID = 1;
const TOKEN = 'bench-open-access-token';
const METRICS_TOKEN = 'bench-metrics-token-0123';
const PATH = `/api/v1/subnet/${NETUID}/block/latest/neurons`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

for (const project of ['apps/devnet', 'apps/sidecar']) {
  const built = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', project, '--entry', 'src/main.ts'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const children = [];
function start(label, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping && !child.stopped) console.error(`${label} exited (${signal ?? code})`);
  });
  children.push(child);
  return child;
}

async function waitReady(url, what) {
  const started = performance.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) return performance.now() - started;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 120_000) throw new Error(`${what} did not become ready`);
    await sleep(50);
  }
}

/** utime + stime of a process, in seconds. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Requests for `seconds` over `connections` keep-alive connections; every answer must be 200 with `length` bytes. */
async function load(pool, headers, seconds, length, pid) {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let wrong = 0;
  const cpuBefore = await cpuSeconds(pid);
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const { statusCode, body } = await pool.request({ path: PATH, method: 'GET', headers });
        const bytes = Buffer.from(await body.arrayBuffer());
        if (statusCode !== 200 || bytes.length !== length) wrong++;
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = (await cpuSeconds(pid)) - cpuBefore;
  if (wrong > 0) throw new Error(`${wrong} of ${done} answers were not the expected 200`);
  return { perSecond: done / elapsed, cpuMicrosPerRequest: (cpu / done) * 1e6 };
}

const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];

let stopping = false;
const folder = await mkdtemp(join(tmpdir(), 'vstack-bench-sidecar-'));
const prefix = `bench_sidecar_${randomBytes(4).toString('hex')}`;
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
await db.query(`CREATE SCHEMA ${prefix}`);
const pools = [];
try {
  const scenario = {
    subnets: [
      {
        netuid: NETUID,
        maxAllowedUids: NEURONS,
        neurons: Array.from({ length: NEURONS }, (_, i) => ({
          hotkey: `//Neuron${i}`,
          stake: String(BigInt(NEURONS - i) * 1_000_000_000_000n),
          validator: i < 64,
          axon: { ip: `10.0.${i >> 8}.${i & 0xff}`, port: 8000 + i },
        })),
      },
    ],
  };
  const scenarioPath = join(folder, 'scenario.json');
  await writeFile(scenarioPath, JSON.stringify(scenario));
  const [devnetPort, sidecarPort, barePort] = await Promise.all([freePort(), freePort(), freePort()]);
  start('devnet', [join(root, 'dist/apps/devnet/main.js')], {
    PORT: String(devnetPort),
    DEVNET_BLOCK_TIME_MS: '0',
    DEVNET_SCENARIO: scenarioPath,
  });
  await waitReady(`http://127.0.0.1:${devnetPort}/health/ready`, 'the devnet');
  const devnetCall = async (method, params = []) => {
    const response = await fetch(`http://127.0.0.1:${devnetPort}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const answer = await response.json();
    if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result;
  };
  await devnetCall('dev_newBlocks', [1]);

  const sidecar = start('sidecar', [join(root, 'dist/apps/sidecar/main.js')], {
    PORT: String(sidecarPort),
    SUBTENSOR_URL: `ws://127.0.0.1:${devnetPort}`,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: prefix,
    DATABASE_MIGRATE_ON_START: 'true',
    SIDECAR_NETUIDS: String(NETUID),
    SIDECAR_IDENTITIES: '[]',
    SIDECAR_OPEN_ACCESS_TOKEN: TOKEN,
    METRICS_TOKEN,
    // Every 503 of /health/ready while it warms up is logged as an error; a failure shows in the answers checked.
    LOG_LEVEL: 'fatal',
  });
  const sidecarReadyMs = await waitReady(`http://127.0.0.1:${sidecarPort}/health/ready`, 'the sidecar');
  const headers = { authorization: `Bearer ${TOKEN}` };
  const first = await fetch(`http://127.0.0.1:${sidecarPort}${PATH}`, { headers });
  const bytes = Buffer.from(await first.arrayBuffer());
  const neurons = Object.keys(JSON.parse(bytes.toString('utf8')).neurons).length;
  if (first.status !== 200 || neurons !== NEURONS)
    throw new Error(`expected ${NEURONS} neurons, got ${neurons}`);
  const bodyPath = join(folder, 'body.json');
  await writeFile(bodyPath, bytes);

  // The baseline: Fastify alone, the same route answering the same bytes, with the same content type.
  const bareSource = `
    import { readFileSync } from 'node:fs';
    import Fastify from 'fastify';
    const body = readFileSync(${JSON.stringify(bodyPath)});
    const app = Fastify({ logger: false });
    app.get(${JSON.stringify(PATH)}, (request, reply) => {
      reply.header('content-type', 'application/json; charset=utf-8').send(body);
    });
    app.get('/health/ready', () => ({ status: 'ok' }));
    await app.listen({ port: ${barePort}, host: '127.0.0.1' });
  `;
  await mkdir(join(root, 'tmp'), { recursive: true });
  const barePath = join(root, 'tmp', `bench-bare-fastify-${prefix}.mjs`);
  await writeFile(barePath, bareSource);
  const bare = start('bare fastify', [barePath], {});
  await waitReady(`http://127.0.0.1:${barePort}/health/ready`, 'the bare Fastify server');

  const targets = [
    {
      name: 'bare Fastify',
      pool: new Pool(`http://127.0.0.1:${barePort}`, { connections: CONNECTIONS }),
      pid: bare.pid,
    },
    {
      name: 'sidecar',
      pool: new Pool(`http://127.0.0.1:${sidecarPort}`, { connections: CONNECTIONS }),
      pid: sidecar.pid,
    },
  ];
  pools.push(...targets.map((target) => target.pool));
  for (const target of targets) await load(target.pool, headers, 2, bytes.length, target.pid);
  const results = new Map(targets.map((target) => [target.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
      results.get(target.name).push(await load(target.pool, headers, SECONDS, bytes.length, target.pid));
    }
  }
  const summary = Object.fromEntries(
    [...results].map(([name, rounds]) => [
      name,
      {
        perSecond: median(rounds.map((round) => round.perSecond)),
        cpuMicros: median(rounds.map((round) => round.cpuMicrosPerRequest)),
        rounds: rounds.map((round) => Math.round(round.perSecond)),
      },
    ]),
  );
  const bareResult = summary['bare Fastify'];
  const sidecarResult = summary['sidecar'];

  // Refresh: a new block, then the time until the sidecar serves its neurons (head notice, metagraph read,
  // serialization, Redis); and the sidecar's own timing of the chain read (its histogram's mean).
  const metric = async (name, labels) => {
    const text = await (
      await fetch(`http://127.0.0.1:${sidecarPort}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
    ).text();
    const line = text
      .split('\n')
      .find((entry) => entry.startsWith(`${name}{`) && labels.every((l) => entry.includes(l)));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  const labels = ['operation="metagraph"', 'status="ok"'];
  const sumBefore = await metric('vstack_chain_operation_duration_seconds_sum', labels);
  const countBefore = await metric('vstack_chain_operation_duration_seconds_count', labels);
  const refreshSamples = [];
  const recent = `http://127.0.0.1:${sidecarPort}/api/v1/subnet/${NETUID}/block/recent/validators`;
  for (let i = 0; i < BLOCKS; i++) {
    const started = performance.now();
    const block = await devnetCall('dev_newBlocks', [1]);
    for (;;) {
      const answer = await (await fetch(recent, { headers })).json();
      if (answer.block.number >= block) break;
      if (performance.now() - started > 10_000) throw new Error(`block ${block} was not cached within 10 s`);
      // Poll gently: the sidecar serving polls would slow the refresh it is timed on.
      await sleep(2);
    }
    refreshSamples.push(performance.now() - started);
  }
  const reads = (await metric('vstack_chain_operation_duration_seconds_count', labels)) - countBefore;
  const sidecarReadMs =
    (((await metric('vstack_chain_operation_duration_seconds_sum', labels)) - sumBefore) / reads) * 1000;

  // For scale: what the devnet itself takes for the first get_neurons_lite of a new block, with the sidecar gone.
  sidecar.stopped = true;
  sidecar.kill('SIGTERM');
  await new Promise((resolveExit) =>
    sidecar.exitCode === null ? sidecar.once('exit', resolveExit) : resolveExit(),
  );
  const netuidArg = `0x${Buffer.from(new Uint16Array([NETUID]).buffer).toString('hex')}`;
  const devnetSamples = [];
  for (let i = 0; i < BLOCKS; i++) {
    await devnetCall('dev_newBlocks', [1]);
    const started = performance.now();
    await devnetCall('state_call', ['NeuronInfoRuntimeApi_get_neurons_lite', netuidArg]);
    devnetSamples.push(performance.now() - started);
  }

  console.log(
    `\nsidecar ready in ${(sidecarReadyMs / 1000).toFixed(1)} s; answer ${bytes.length} bytes, ${NEURONS} neurons`,
  );
  console.log(`${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each (req/s per round):`);
  for (const [name, result] of Object.entries(summary)) {
    console.log(
      `  ${name.padEnd(13)} median ${result.perSecond.toFixed(0).padStart(6)} req/s  ` +
        `${result.cpuMicros.toFixed(0).padStart(5)} µs CPU per request   rounds ${result.rounds.join(', ')}`,
    );
  }
  console.log(
    `  sidecar / bare: ${(sidecarResult.perSecond / bareResult.perSecond).toFixed(2)}x req/s (goal ≥ 0.7x), ` +
      `${(bareResult.cpuMicros / sidecarResult.cpuMicros).toFixed(2)}x by CPU per request`,
  );
  console.log(
    `refresh of ${NEURONS} neurons: new block → served ${median(refreshSamples).toFixed(1)} ms median ` +
      `(${BLOCKS} blocks, min ${Math.min(...refreshSamples).toFixed(1)}, max ${Math.max(...refreshSamples).toFixed(1)}); ` +
      `metagraph read ${sidecarReadMs.toFixed(1)} ms mean over ${reads} reads`,
  );
  console.log(
    `devnet alone, first get_neurons_lite of a new block (raw state_call over HTTP): ` +
      `${median(devnetSamples).toFixed(1)} ms median`,
  );
} finally {
  stopping = true;
  await Promise.all(pools.map((pool) => pool.close()));
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : 0)),
  );
  await db.query(`DROP SCHEMA IF EXISTS ${prefix} CASCADE`);
  await db.end();
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  await rm(folder, { recursive: true, force: true });
  await rm(join(root, 'tmp', `bench-bare-fastify-${prefix}.mjs`), { force: true });
}
