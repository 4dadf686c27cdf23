#!/usr/bin/env node
// Benchmark: miner selections per second with 256 miners (apps/managing's selection engine: registry, health,
// quota view, weighted sampling, and the atomic consume script in Redis) against raw EVALSHA calls of the same
// consume script, in the same run, on the same Redis. Optionally also `miners.select` over RPC, as the validator
// calls it (the built service, Nest's Redis transport both ways).
//
//   node bench/managing-select.bench.mjs [--chunk 500] [--cycles 20] [--concurrency 32] [--no-rpc]
//
// Builds the engine entry of apps/managing (and, for the RPC column, the service and libs/contracts) with
// tools/build.mjs. Needs Redis at REDIS_URL (redis://127.0.0.1:6379 by default); every key it writes is under a
// prefix of its own and is deleted at the end. The paths alternate in short chunks (raw, selection, RPC, raw, ...)
// so that they share whatever else the machine is doing; each ratio is the median of the per-cycle ratios, and the
// rates are total calls over total time.
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    chunk: { type: 'string', default: '500' },
    cycles: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    'no-rpc': { type: 'boolean', default: false },
  },
});
const chunk = Number(values.chunk);
const cycles = Number(values.cycles);
const concurrency = Number(values.concurrency);
const withRpc = !values['no-rpc'];
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MINERS = 256;
const NETUID = 1;
const WINDOW_MS = 600_000;
// Large enough that no quota runs out during the run: every selection is a full answer.
const CAPACITY = 10_000_000;
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function build(project, entry) {
  const built = spawnSync(process.execPath, ['tools/build.mjs', '--project', project, '--entry', entry], {
    cwd: root,
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

function hotkeyOf(n) {
  let digits = '';
  let value = n;
  do {
    digits = BASE58[value % 58] + digits;
    value = Math.floor(value / 58);
  } while (value > 0);
  return `5M${digits.padStart(46, 'x')}`;
}

function neuron(uid, hotkey, { stake = '0', permit = false, axon } = {}) {
  return {
    uid,
    hotkey,
    coldkey: ALICE,
    active: true,
    axon: axon ?? { ip: '127.0.0.1', port: 1, protocol: 4 },
    stake,
    validatorPermit: permit,
    incentive: 0,
    consensus: 0,
    dividends: 0,
    emission: '0',
    validatorTrust: 0,
    lastUpdate: 0,
    blockAtRegistration: 0,
  };
}

// Alice (all the eligible stake) without an axon, then 256 miners whose axons refuse connections at once.
const neurons = [
  neuron(0, ALICE, {
    stake: '1000000000000000',
    permit: true,
    axon: { ip: '0.0.0.0', port: 0, protocol: 0 },
  }),
  ...Array.from({ length: MINERS }, (_, i) => neuron(i + 1, hotkeyOf(i + 1))),
];

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

/** Runs `operation` `count` times with `inFlight` calls at once; returns the seconds and this process's CPU ms. */
async function measure(operation, count, inFlight) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await operation();
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuMs: (used.user + used.system) / 1000 };
}

const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];

async function main() {
  build('apps/managing', 'src/engine.ts');
  if (withRpc) {
    build('apps/managing', 'src/main.ts');
    build('libs/contracts', 'src/index.ts');
  }
  const engineModule = await import(join(root, 'dist/apps/managing/engine.js'));
  const { createSelectionEngine, RedisQuotaCounters, consumeCountersScript } = engineModule;
  const { Redis } = await import('ioredis');
  const { pino } = await import('pino');
  // The stand-in sidecar and the RPC client run in this process: keep Nest's connection notices out of the table.
  const { Logger } = await import('@nestjs/common');
  Logger.overrideLogger(false);

  const prefix = `bench_managing_${randomUUID().slice(0, 8)}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const children = [];
  const closers = [];
  try {
    const engine = createSelectionEngine({
      netuid: NETUID,
      validatorHotkey: ALICE,
      counters: new RedisQuotaCounters(redis),
      keyPrefix: `${prefix}:engine`,
      windowMs: WINDOW_MS,
      statusReader: { read: () => Promise.reject(new Error('no status in the benchmark')) },
      scoresSource: { minerScores: () => Promise.reject(new Error('no scoring in the benchmark')) },
      capacity: { defaultCapacity: CAPACITY, minCapacity: 1, maxCapacity: CAPACITY },
      logger: pino({ level: 'silent' }),
    });
    engine.registry.apply({ netuid: NETUID, block: 1, neurons });
    const select = async () => {
      const result = await engine.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' });
      if (result.miners.length !== 1) throw new Error(`selection came back short: ${result.reason}`);
    };

    // The baseline: the same consume script, one key per call (what a selection of one miner sends), keys
    // rotating over the 256 miners, quota never reached.
    let rawIndex = 0;
    const raw = async () => {
      const key = `${prefix}:raw:${rawIndex++ % MINERS}`;
      const reply = await consumeCountersScript.run(redis, [key], [2 * WINDOW_MS, 'o', CAPACITY, 0]);
      if (reply[0] !== 1) throw new Error('raw consume was refused');
    };

    let rpcSelect;
    if (withRpc) {
      const { createRpcClient, createRpcMicroserviceOptions } = await import(
        join(root, 'dist/libs/contracts/index.js')
      );
      // A stand-in sidecar on the same Redis transport, answering chain.neurons with the metagraph above.
      const sidecar = createRpcMicroserviceOptions(redisUrl, prefix, {
        connectionName: `${prefix}-sidecar`,
      }).strategy;
      sidecar.addHandler('chain.neurons', async () => ({ netuid: NETUID, block: 1, neurons }), false);
      await new Promise((resolveListen, reject) =>
        sidecar.listen((error) => (error ? reject(error) : resolveListen())),
      );
      closers.push(() => sidecar.close());
      const port = await freePort();
      const child = spawn(process.execPath, [join(root, 'dist/apps/managing/main.js')], {
        cwd: root,
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(port),
          // Warnings such as "scoring did not answer" (there is no scoring here) would cut through the table.
          LOG_LEVEL: 'error',
          LOG_FORMAT: 'json',
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          NETUID: String(NETUID),
          VALIDATOR_HOTKEY_ADDRESS: ALICE,
          MANAGING_CAPACITY_DEFAULT: String(CAPACITY),
          MANAGING_CAPACITY_MAX: String(CAPACITY),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push(child);
      const started = performance.now();
      for (;;) {
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (response) => response.ok,
          () => false,
        );
        if (ready) break;
        if (performance.now() - started > 60_000) throw new Error('managing did not become ready');
        await new Promise((r) => setTimeout(r, 100));
      }
      const client = createRpcClient({ redisUrl, prefix, timeoutMs: 10_000 });
      closers.push(() => client.close());
      rpcSelect = async () => {
        const answer = await client.send('miners.select', {
          taskType: 'arithmetic',
          count: 1,
          purpose: 'organic',
        });
        if (answer.miners.length !== 1)
          throw new Error(`selection over RPC came back short: ${answer.reason}`);
      };
    }

    // Warm-up: script loaded, JIT warm, quota view read, connections open.
    for (const operation of [raw, select, rpcSelect].filter(Boolean)) await measure(operation, 500, 8);

    const paths = { raw, select, ...(rpcSelect ? { rpc: rpcSelect } : {}) };
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(
      `\n${cpu}, ${availableParallelism()} cores, Node ${process.version}; ${MINERS} miners, ${cycles} cycles of ${chunk} calls per path`,
    );
    console.log(
      '| in flight | raw EVALSHA/s | selections/s | selections / raw | over RPC/s | RPC / raw | CPU µs per raw call / selection |',
    );
    console.log(
      '| --------: | ------------: | -----------: | ---------------: | ---------: | --------: | ------------------------------: |',
    );
    for (const inFlight of [1, concurrency]) {
      const totals = Object.fromEntries(Object.keys(paths).map((name) => [name, { seconds: 0, cpuMs: 0 }]));
      const ratios = { select: [], rpc: [] };
      for (let cycle = 0; cycle < cycles; cycle++) {
        const seconds = {};
        for (const [name, operation] of Object.entries(paths)) {
          const result = await measure(operation, chunk, inFlight);
          seconds[name] = result.seconds;
          totals[name].seconds += result.seconds;
          totals[name].cpuMs += result.cpuMs;
        }
        ratios.select.push(seconds.raw / seconds.select);
        if (rpcSelect) ratios.rpc.push(seconds.raw / seconds.rpc);
      }
      const rate = (name) => Math.round((cycles * chunk) / totals[name].seconds);
      const cpuPerCall = (name) => ((totals[name].cpuMs * 1000) / (cycles * chunk)).toFixed(0);
      console.log(
        `| ${inFlight} | ${rate('raw')} | ${rate('select')} | ${median(ratios.select).toFixed(3)} | ` +
          `${rpcSelect ? rate('rpc') : '—'} | ${rpcSelect ? median(ratios.rpc).toFixed(3) : '—'} | ` +
          `${cpuPerCall('raw')} / ${cpuPerCall('select')} |`,
      );
    }
  } finally {
    for (const close of closers.reverse()) await close();
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

await main();
