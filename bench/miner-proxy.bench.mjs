#!/usr/bin/env node
// Requests per second and latency of the miner proxy (the built app: Epistula checks against the devnet's
// metagraph, Redis replay cache, forwarding) against a bare pass-through (node http + undici Pool, no checks) in
// front of the same upstream, in the same run, with the same load generator and concurrency.
//
//   node bench/miner-proxy.bench.mjs [--requests 8000] [--rounds 3] [--concurrency 64]
//                                    [--latency-requests 1500] [--upstream-delay-ms 0] [--verify-threads N]
//
// Builds apps/devnet, apps/miner-proxy and libs/epistula (tools/build.mjs), starts the devnet (default scenario:
// validators //Alice //Bob //Charlie, miner //Dave on subnet 1), the upstream, the pass-through and the proxy as
// separate processes, pre-signs every request (distinct UUIDs, signed for //Dave by the three validators) and only
// then times: rounds alternate pass-through and proxy. Each process gets the machine's cores as the OS schedules
// them; the load generator runs in this process.
//
// Needs Redis at REDIS_URL (redis://127.0.0.1:6379 by default); the proxy's replay keys use their own prefix and
// are deleted at the end.
/* global fetch */
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    port: { type: 'string' },
    upstream: { type: 'string' },
    requests: { type: 'string', default: '8000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    'latency-requests': { type: 'string', default: '1500' },
    'upstream-delay-ms': { type: 'string', default: '0' },
    'verify-threads': { type: 'string' },
  },
});

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** The miner's server: a small JSON answer to every request, after an optional delay. */
function runUpstream(port, delayMs) {
  const answer = JSON.stringify({ result: '579', model: 'bench', tokens: 3 });
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const send = () => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
        response.end(answer);
      };
      if (delayMs > 0) setTimeout(send, delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => process.send?.('ready'));
}

/** The baseline: reads the body, forwards it with undici, pipes the answer back; checks nothing. */
async function runPassThrough(port, upstreamUrl) {
  const { Pool } = await import('undici');
  const { pipeline } = await import('node:stream/promises');
  const pool = new Pool(upstreamUrl, { connections: 128, keepAliveTimeout: 30_000 });
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      const headers = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (!hopByHop.has(name)) headers[name] = value;
      }
      if (body.length > 0) headers['content-length'] = String(body.length);
      try {
        const answer = await pool.request({
          method: request.method,
          path: request.url,
          headers,
          body: body.length > 0 ? body : null,
        });
        const out = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!hopByHop.has(name) || name === 'content-length') out[name] = value;
        }
        response.writeHead(answer.statusCode, out);
        await pipeline(answer.body, response);
      } catch {
        if (!response.headersSent) response.writeHead(502).end();
        else response.destroy();
      }
    });
  });
  server.keepAliveTimeout = 72_000;
  server.listen(port, '127.0.0.1', () => process.send?.('ready'));
}

if (values.role === 'upstream') {
  runUpstream(Number(values.port), Number(values['upstream-delay-ms']));
} else if (values.role === 'pass-through') {
  await runPassThrough(Number(values.port), values.upstream);
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

function build(project, entry) {
  const built = spawnSync(process.execPath, ['tools/build.mjs', '--project', project, '--entry', entry], {
    cwd: root,
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

/** CPU time (user + system, all threads) a process has used, in ms; undefined where /proc is not there. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Sends every request through `concurrency` keep-alive connections; returns req/s and latency percentiles. */
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
      const request = requests[index];
      const started = performance.now();
      const response = await pool.request(request);
      await response.body.dump();
      latencies[index] = performance.now() - started;
      if (response.statusCode !== 200) {
        failed += 1;
        firstFailure ??= response.statusCode;
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
  const latencyRequests = Number(values['latency-requests']);
  const upstreamDelayMs = Number(values['upstream-delay-ms']);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  build('apps/devnet', 'src/main.ts');
  build('apps/miner-proxy', 'src/main.ts');
  build('libs/epistula', 'src/index.ts');
  const { signEpistulaRequest, sr25519SignerFromPair } = await import(
    join(root, 'dist/libs/epistula/index.js')
  );
  const { Keyring } = await import('@polkadot/keyring');
  const { cryptoWaitReady } = await import('@polkadot/util-crypto');
  const { Pool } = await import('undici');
  const { Redis } = await import('ioredis');

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
  const start = (args, env = {}) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return child;
  };
  const startRole = async (role, extra) => {
    const port = await freePort();
    const child = start([import.meta.filename, '--role', role, '--port', String(port), ...extra]);
    await new Promise((resolveReady, reject) => {
      child.once('message', resolveReady);
      child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
    });
    return { url: `http://127.0.0.1:${port}`, pid: child.pid };
  };

  const prefix = `bench_proxy_${randomUUID().slice(0, 8)}`;
  try {
    const devnetPort = await freePort();
    start([join(root, 'dist/apps/devnet/main.js')], { PORT: String(devnetPort), DEVNET_BLOCK_TIME_MS: '0' });
    await waitUntil(
      async () => (await fetch(`http://127.0.0.1:${devnetPort}/health/ready`)).ok,
      'the devnet',
    );
    const upstream = await startRole('upstream', ['--upstream-delay-ms', String(upstreamDelayMs)]);
    const upstreamUrl = upstream.url;
    const passThrough = await startRole('pass-through', ['--upstream', upstreamUrl]);
    const proxyPort = await freePort();
    const proxyChild = start([join(root, 'dist/apps/miner-proxy/main.js')], {
      PORT: String(proxyPort),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      MINER_HOTKEY: '//Dave',
      NETUID: '1',
      SUBTENSOR_URL: `ws://127.0.0.1:${devnetPort}`,
      INFERENCE_SERVER_URL: upstreamUrl,
      RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
      // Requests are signed before the clock starts; the window must outlast the run.
      EPISTULA_MAX_AGE_MS: '600000',
      ...(values['verify-threads'] === undefined ? {} : { VERIFY_THREADS: values['verify-threads'] }),
    });
    const proxy = { url: `http://127.0.0.1:${proxyPort}`, pid: proxyChild.pid };
    await waitUntil(async () => (await fetch(`${proxy.url}/status`)).ok, 'the proxy');

    await cryptoWaitReady();
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    // Signed on the WebAssembly build: the keyring pairs' own signing is several times slower.
    const validators = await Promise.all(
      ['//Alice', '//Bob', '//Charlie'].map((uri) => sr25519SignerFromPair(keyring.addFromUri(uri))),
    );
    const miner = keyring.addFromUri('//Dave');
    const signBatch = (count) =>
      Array.from({ length: count }, (_, index) => {
        const body = JSON.stringify({
          task_type: 'arithmetic',
          operation: 'add',
          a: String(index),
          b: '579',
        });
        const { headers } = signEpistulaRequest(validators[index % validators.length], body, {
          signedFor: miner.address,
        });
        return {
          method: 'POST',
          path: '/tasks/arithmetic',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
        };
      });
    const warmUp = Math.min(1000, requestsPerRound);
    const signStarted = performance.now();
    const batches = Array.from({ length: rounds + 2 }, (_, i) =>
      signBatch(i === 0 ? warmUp : i === rounds + 1 ? latencyRequests : requestsPerRound),
    );
    console.log(
      `signed ${batches.reduce((sum, batch) => sum + batch.length, 0)} requests in ${((performance.now() - signStarted) / 1000).toFixed(1)} s`,
    );

    /** One load round against `target`, with the CPU time it and the upstream used per request. */
    const measure = async (target, batch, clients) => {
      const before = [cpuMs(target.pid), cpuMs(upstream.pid)];
      const result = await load(Pool, target.url, batch, clients);
      const after = [cpuMs(target.pid), cpuMs(upstream.pid)];
      const perRequest = (index) =>
        before[index] === undefined ? Number.NaN : ((after[index] - before[index]) * 1000) / batch.length;
      return { ...result, cpuUs: perRequest(0), upstreamCpuUs: perRequest(1) };
    };

    // Warm up both (JIT, connections, the proxy's public-key cache).
    await measure(passThrough, batches[0], concurrency);
    await measure(proxy, batches[0], concurrency);

    const passThroughRounds = [];
    const proxyRounds = [];
    for (let round = 1; round <= rounds; round += 1) {
      passThroughRounds.push(await measure(passThrough, batches[round], concurrency));
      proxyRounds.push(await measure(proxy, batches[round], concurrency));
    }
    const latencyBatch = batches[rounds + 1];
    const passThroughSingle = await measure(passThrough, latencyBatch, 1);
    const proxySingle = await measure(proxy, latencyBatch, 1);

    const median = (list, key) =>
      [...list].map((item) => item[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const bare = median(passThroughRounds, 'perSecond');
    const proxied = median(proxyRounds, 'perSecond');
    const ratio = proxied / bare;
    const cpu = (list) => `${median(list, 'cpuUs').toFixed(0)} µs CPU/request`;
    const fmt = (ms) => `${ms.toFixed(2)} ms`;

    console.log(
      `node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, load average ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `${rounds} alternating rounds of ${requestsPerRound} requests at concurrency ${concurrency}; ${latencyRequests} at concurrency 1; upstream delay ${upstreamDelayMs} ms; verify threads ${values['verify-threads'] ?? 'default'}`,
    );
    console.log(
      `pass-through: ${bare.toFixed(0)} req/s (rounds ${passThroughRounds.map((r) => r.perSecond.toFixed(0)).join(', ')}), p50 ${fmt(median(passThroughRounds, 'p50'))}, p99 ${fmt(median(passThroughRounds, 'p99'))}, ${cpu(passThroughRounds)}`,
    );
    console.log(
      `miner proxy:  ${proxied.toFixed(0)} req/s (rounds ${proxyRounds.map((r) => r.perSecond.toFixed(0)).join(', ')}), p50 ${fmt(median(proxyRounds, 'p50'))}, p99 ${fmt(median(proxyRounds, 'p99'))}, ${cpu(proxyRounds)}`,
    );
    console.log(
      `upstream: ${cpu([...passThroughRounds, ...proxyRounds].map((r) => ({ cpuUs: r.upstreamCpuUs })))}`,
    );
    console.log(`ratio (proxy / pass-through req/s): ${ratio.toFixed(3)}  (goal >= 0.8)`);
    console.log(
      `one at a time: pass-through p50 ${fmt(passThroughSingle.p50)} p99 ${fmt(passThroughSingle.p99)}; proxy p50 ${fmt(proxySingle.p50)} p99 ${fmt(proxySingle.p99)}; added p99 ${fmt(proxySingle.p99 - passThroughSingle.p99)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'miner-proxy',
        rounds,
        requests: requestsPerRound,
        concurrency,
        upstreamDelayMs,
        verifyThreads: values['verify-threads'] ?? 'default',
        passThroughPerSecond: Math.round(bare),
        proxyPerSecond: Math.round(proxied),
        ratio: Number(ratio.toFixed(3)),
        passThroughP99Ms: Number(median(passThroughRounds, 'p99').toFixed(2)),
        proxyP99Ms: Number(median(proxyRounds, 'p99').toFixed(2)),
        singleAddedP50Ms: Number((proxySingle.p50 - passThroughSingle.p50).toFixed(2)),
        singleAddedP99Ms: Number((proxySingle.p99 - passThroughSingle.p99).toFixed(2)),
        passThroughCpuUsPerRequest: Math.round(median(passThroughRounds, 'cpuUs')),
        proxyCpuUsPerRequest: Math.round(median(proxyRounds, 'cpuUs')),
        loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
      }),
    );
    if (ratio < 0.8) process.exitCode = 1;
  } finally {
    await stopAll();
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = nextCursor;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
}
