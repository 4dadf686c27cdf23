#!/usr/bin/env node
// Accepted tasks per second through the gateway (the built app: API key, rate limit in Redis, schema check,
// credits held and the task recorded in PostgreSQL, job queued with BullMQ, QUEUED recorded) against a bare Fastify
// route that only enqueues the same job with BullMQ, in the same run, with the same load generator and concurrency.
// Async submission: both answer 202 once the job is in Redis; no validator takes the jobs.
//
//   node bench/gateway-submit.bench.mjs [--requests 6000] [--rounds 5] [--concurrency 64] [--cpu-prof-dir DIR]
//
// Builds apps/gateway (tools/build.mjs), migrates a fresh PostgreSQL schema, makes an API key with the `keys` command,
// then starts the gateway and the bare route as separate processes; rounds alternate bare and gateway. Needs Redis at
// REDIS_URL (redis://127.0.0.1:6379) and PostgreSQL at DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres);
// the schema and the Redis keys are deleted at the end. Exits 1 when the ratio is below 0.6. With --cpu-prof-dir the
// gateway runs under `node --cpu-prof` and leaves its profile there (it slows the gateway: compare figures without).
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    port: { type: 'string' },
    prefix: { type: 'string' },
    requests: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The baseline: parse the JSON body, enqueue the organic task with the stack's job options, answer 202. */
async function runBare(port, prefix) {
  const { default: Fastify } = await import('fastify');
  const { Queue } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const queue = new Queue('organic-tasks', { connection, prefix });
  const app = Fastify({ bodyLimit: 4 * 1024 * 1024 });
  app.post('/v1/arithmetic', async (request, reply) => {
    const taskId = randomUUID();
    await queue.add(
      'organic.task',
      {
        taskId,
        taskType: 'arithmetic',
        request: request.body.input,
        priority: 'normal',
        submittedAt: new Date().toISOString(),
      },
      {
        jobId: taskId,
        priority: 3,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: { age: 86_400, count: 100_000 },
        removeOnFail: { age: 604_800 },
      },
    );
    return reply.status(202).send({ id: taskId, status: 'QUEUED' });
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.send?.('ready');
}

if (values.role === 'bare') {
  await runBare(Number(values.port), values.prefix);
} else {
  await main();
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntil(check, what, timeoutMs = 60_000) {
  const started = performance.now();
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > timeoutMs) throw new Error(`${what} did not become ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU seconds a process has used (Linux /proc), or undefined elsewhere. */
function cpuSeconds(pid) {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy and total clock ticks of the whole machine since boot (Linux /proc/stat), or undefined elsewhere. */
function machineTicks() {
  if (!existsSync('/proc/stat')) return undefined;
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

/** The pid of the Redis server at REDIS_URL when it runs on this machine, else undefined. */
async function localRedisPid() {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    if (!Number.isInteger(pid) || !existsSync(`/proc/${pid}/comm`)) return undefined;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('redis') ? pid : undefined;
  } finally {
    redis.disconnect();
  }
}

/** The local TCP ports of a process's sockets (Linux /proc), or undefined elsewhere. */
function localPortsOf(pid) {
  if (!existsSync(`/proc/${pid}/fd`)) return undefined;
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9])) ports.add(Number.parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}

/** Sends every request through `concurrency` keep-alive connections; returns accepted/s and latency percentiles. */
async function load(Pool, url, requests, concurrency) {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = new Float64Array(requests.length);
  let next = 0;
  let failed = 0;
  let firstFailure;
  const worker = async () => {
    for (;;) {
      const index = next;
      next += 1;
      if (index >= requests.length) return;
      const started = performance.now();
      const response = await pool.request(requests[index]);
      const text = await response.body.text();
      latencies[index] = performance.now() - started;
      if (response.statusCode !== 202) {
        failed += 1;
        firstFailure ??= `${response.statusCode} ${text.slice(0, 200)}`;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  if (failed > 0) throw new Error(`${failed} of ${requests.length} requests failed (first: ${firstFailure})`);
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { perSecond: requests.length / seconds, p50: at(0.5), p99: at(0.99) };
}

async function main() {
  const requestsPerRound = Number(values.requests);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const built = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', 'apps/gateway', '--entry', 'src/main.ts'],
    { cwd: root, stdio: 'inherit' },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
  const { Pool } = await import('undici');
  const { Redis } = await import('ioredis');
  const { default: pg } = await import('pg');

  const id = randomUUID().slice(0, 8);
  const schema = `bench_gateway_${id}`;
  const gatewayPrefix = `bench_gateway_${id}`;
  const barePrefix = `bench_bare_${id}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);

  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: gatewayPrefix,
  };
  const gatewayMain = join(root, 'dist/apps/gateway/main.js');
  const children = [];
  const stopAll = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
  };

  try {
    const migrated = spawnSync(process.execPath, [gatewayMain, 'migrate'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
    const created = spawnSync(
      process.execPath,
      [
        gatewayMain,
        'keys',
        'create',
        '--name',
        'bench',
        '--scopes',
        'arithmetic',
        '--credits',
        '1000000000',
        '--rate',
        '1000000',
      ],
      { cwd: root, env, encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`keys create failed: ${created.stderr}`);
    const { secret } = JSON.parse(created.stdout);

    const gatewayPort = await freePort();
    const profile =
      values['cpu-prof-dir'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`];
    const gateway = spawn(process.execPath, [...profile, gatewayMain], {
      cwd: root,
      env: { ...env, PORT: String(gatewayPort) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(gateway);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await waitUntil(async () => (await fetch(`${gatewayUrl}/health/ready`)).ok, 'the gateway');

    const barePort = await freePort();
    const bare = spawn(
      process.execPath,
      [import.meta.filename, '--role', 'bare', '--port', String(barePort), '--prefix', barePrefix],
      {
        cwd: root,
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    children.push(bare);
    await new Promise((resolveReady, reject) => {
      bare.once('message', resolveReady);
      bare.once('exit', (code) => reject(new Error(`the bare route exited with ${code}`)));
    });
    const bareUrl = `http://127.0.0.1:${barePort}`;

    const batch = (count, offset) =>
      Array.from({ length: count }, (_, index) => ({
        method: 'POST',
        path: '/v1/arithmetic',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ input: { operation: 'add', a: String(offset + index), b: '579' } }),
      }));
    const warmUp = Math.min(1_000, requestsPerRound);
    await load(Pool, bareUrl, batch(warmUp, 0), concurrency);
    await load(Pool, gatewayUrl, batch(warmUp, 0), concurrency);

    // Where the CPU goes, per accepted task: the gateway process, its PostgreSQL backends, the bare route. The
    // backends are looked up before each round (the pool closes idle connections and opens new ones), by the ports
    // of the gateway's own sockets: other gateways on the machine use the same application name.
    const gatewayBackends = async () => {
      const ports = localPortsOf(gateway.pid);
      const { rows } = await admin.query(
        `SELECT pid, client_port FROM pg_stat_activity WHERE application_name = 'vstack-gateway'`,
      );
      return rows.filter((row) => ports === undefined || ports.has(row.client_port)).map((row) => row.pid);
    };
    // Redis's server process (when it runs on this machine) and the load generator (this process) are shared by both
    // sides; they are counted per side, with the machine's busy share, to show whether a side ran out of CPU.
    const redisPid = await localRedisPid();
    const cpu = {
      bare: { process: 0, postgres: 0, redis: 0, load: 0, busy: 0, seconds: 0 },
      gateway: { process: 0, postgres: 0, redis: 0, load: 0, busy: 0, seconds: 0 },
    };
    const measured = async (side, processPid, postgresPids, run) => {
      const pids = [processPid, ...postgresPids, ...(redisPid === undefined ? [] : [redisPid])];
      const kinds = ['process', ...postgresPids.map(() => 'postgres'), 'redis'];
      const before = pids.map(cpuSeconds);
      const loadBefore = process.cpuUsage();
      const machineBefore = machineTicks();
      const started = performance.now();
      const result = await run();
      const load = process.cpuUsage(loadBefore);
      const machine = machineTicks();
      cpu[side].load += (load.user + load.system) / 1e6;
      cpu[side].seconds += (performance.now() - started) / 1000;
      if (machine !== undefined && machineBefore !== undefined) {
        cpu[side].busy += (machine.busy - machineBefore.busy) / 100;
      }
      pids.forEach((pid, index) => {
        const after = cpuSeconds(pid);
        if (after !== undefined && before[index] !== undefined)
          cpu[side][kinds[index]] += after - before[index];
      });
      return result;
    };
    const bareRounds = [];
    const gatewayRounds = [];
    for (let round = 1; round <= rounds; round += 1) {
      const requests = batch(requestsPerRound, round * requestsPerRound);
      bareRounds.push(await measured('bare', bare.pid, [], () => load(Pool, bareUrl, requests, concurrency)));
      const backends = await gatewayBackends();
      gatewayRounds.push(
        await measured('gateway', gateway.pid, backends, () => load(Pool, gatewayUrl, requests, concurrency)),
      );
    }
    const perTask = (seconds) => ((seconds * 1000) / (rounds * requestsPerRound)).toFixed(3);
    const single = 500;
    const bareSingle = await load(Pool, bareUrl, batch(single, 0), 1);
    const gatewaySingle = await load(Pool, gatewayUrl, batch(single, 0), 1);

    // The QUEUED mark follows the 202 with the gateway's next statement: give the last ones a moment.
    const expected = warmUp + rounds * requestsPerRound + single;
    const countTasks = async () =>
      (
        await admin.query(
          `SELECT count(*)::int AS tasks, count(*) FILTER (WHERE status = 'QUEUED')::int AS queued FROM ${schema}.gateway_tasks`,
        )
      ).rows;
    let rows = await countTasks();
    for (let tries = 0; tries < 50 && rows[0].queued < expected; tries += 1) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await countTasks();
    }

    // Backends report their counts about once a second, so this is the share among the updates reported so far.
    const updates = (
      await admin.query(
        `SELECT n_tup_upd::int AS updated, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables
         WHERE schemaname = $1 AND relname = 'gateway_tasks'`,
        [schema],
      )
    ).rows[0] ?? { updated: 0, hot: 0 };

    const median = (list, key) =>
      [...list].map((item) => item[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const bareRate = median(bareRounds, 'perSecond');
    const gatewayRate = median(gatewayRounds, 'perSecond');
    const ratio = gatewayRate / bareRate;
    const fmt = (ms) => `${ms.toFixed(2)} ms`;
    console.log(
      `node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores available`,
    );
    console.log(
      `${rounds} alternating rounds of ${requestsPerRound} submissions at concurrency ${concurrency}; ${single} at concurrency 1`,
    );
    console.log(
      `bare Fastify + BullMQ: ${bareRate.toFixed(0)} tasks/s (rounds ${bareRounds.map((r) => r.perSecond.toFixed(0)).join(', ')}), p50 ${fmt(median(bareRounds, 'p50'))}, p99 ${fmt(median(bareRounds, 'p99'))}`,
    );
    console.log(
      `gateway:               ${gatewayRate.toFixed(0)} tasks/s (rounds ${gatewayRounds.map((r) => r.perSecond.toFixed(0)).join(', ')}), p50 ${fmt(median(gatewayRounds, 'p50'))}, p99 ${fmt(median(gatewayRounds, 'p99'))}`,
    );
    console.log(`ratio (gateway / bare accepted tasks/s): ${ratio.toFixed(3)}  (goal >= 0.6)`);
    const cpuLine = (side, label) => {
      const used = cpu[side];
      const parts = [`${label} ${perTask(used.process)}`];
      if (side === 'gateway') parts.push(`its PostgreSQL backends ${perTask(used.postgres)}`);
      if (redisPid !== undefined) parts.push(`Redis ${perTask(used.redis)}`);
      parts.push(`load generator ${perTask(used.load)}`);
      const cores = availableParallelism();
      const busy =
        used.seconds > 0 ? `; machine ${((100 * used.busy) / (used.seconds * cores)).toFixed(0)}% busy` : '';
      return `${parts.join(', ')}${busy}`;
    };
    console.log(`CPU ms per accepted task: ${cpuLine('bare', 'bare route')}`);
    console.log(`                          ${cpuLine('gateway', 'gateway process')}`);
    console.log(
      `task row updates made in place (HOT, no new index entries): ${updates.hot} of ${updates.updated} reported`,
    );
    console.log(
      `one at a time: bare p50 ${fmt(bareSingle.p50)} p99 ${fmt(bareSingle.p99)}; gateway p50 ${fmt(gatewaySingle.p50)} p99 ${fmt(gatewaySingle.p99)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'gateway-submit',
        rounds,
        requests: requestsPerRound,
        concurrency,
        barePerSecond: Math.round(bareRate),
        gatewayPerSecond: Math.round(gatewayRate),
        ratio: Number(ratio.toFixed(3)),
        bareP99Ms: Number(median(bareRounds, 'p99').toFixed(2)),
        gatewayP99Ms: Number(median(gatewayRounds, 'p99').toFixed(2)),
        singleBareP50Ms: Number(bareSingle.p50.toFixed(2)),
        singleGatewayP50Ms: Number(gatewaySingle.p50.toFixed(2)),
        hotUpdates: updates.hot,
        updates: updates.updated,
        cpuMsPerTask: Object.fromEntries(
          Object.entries(cpu).map(([side, used]) => [
            side,
            {
              process: Number(perTask(used.process)),
              postgres: Number(perTask(used.postgres)),
              redis: redisPid === undefined ? null : Number(perTask(used.redis)),
              load: Number(perTask(used.load)),
            },
          ]),
        ),
      }),
    );
    if (rows[0].tasks !== expected || rows[0].queued !== expected) {
      throw new Error(`expected ${expected} QUEUED tasks, found ${rows[0].tasks} (${rows[0].queued} QUEUED)`);
    }
    if (ratio < 0.6) process.exitCode = 1;
  } finally {
    await stopAll();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      for (const prefix of [gatewayPrefix, barePrefix]) {
        let cursor = '0';
        do {
          const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = nextCursor;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      }
    } finally {
      redis.disconnect();
    }
  }
}
