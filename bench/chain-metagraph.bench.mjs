#!/usr/bin/env node
// Benchmark: the metagraph of a 256-neuron subnet through @vstack/chain (at the best block, and at a block hash
// known from a head as the sidecar reads it) against a raw state_call of the same runtime API
// (NeuronInfoRuntimeApi_get_neurons_lite), in the same run, against the real devnet.
//
//   node bench/chain-metagraph.bench.mjs [--iterations 50]
//
// Builds libs/chain and apps/devnet first (tools/build.mjs), starts the devnet on a free port with a
// 256-neuron scenario (DEVNET_SCENARIO), then times both paths interleaved so they see the same machine state.
/* global fetch */
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { iterations: { type: 'string', default: '50' } } });
const iterations = Number(values.iterations);
const NEURONS = 256;
const NETUID = 1;

for (const [project, entry] of [
  ['libs/chain', 'src/index.ts'],
  ['apps/devnet', 'src/main.ts'],
]) {
  const built = spawnSync(process.execPath, ['tools/build.mjs', '--project', project, '--entry', entry], {
    cwd: root,
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const { ChainConnection, SubtensorClient } = await import(join(root, 'dist/libs/chain/index.js'));

const port = await new Promise((resolvePort, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolvePort(free));
  });
});
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
const folder = await mkdtemp(join(tmpdir(), 'vstack-bench-'));
const scenarioPath = join(folder, 'scenario.json');
await writeFile(scenarioPath, JSON.stringify(scenario));
const devnet = spawn(process.execPath, [join(root, 'dist/apps/devnet/main.js')], {
  cwd: root,
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DEVNET_BLOCK_TIME_MS: '0',
    DEVNET_SCENARIO: scenarioPath,
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95), min: sorted[0] };
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;

let connection;
let t;
try {
  const started = performance.now();
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 120_000) throw new Error('the devnet did not become ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  const readyMs = performance.now() - started;

  connection = new ChainConnection({ endpoints: [`ws://127.0.0.1:${port}`] });
  const api = await connection.connect();
  const client = new SubtensorClient({ connection });
  await connection.send('dev_newBlocks', [1]);

  const encodedNetuid = '0x' + Buffer.from(new Uint16Array([NETUID]).buffer).toString('hex');
  const raw = () => connection.send('state_call', ['NeuronInfoRuntimeApi_get_neurons_lite', encodedNetuid]);
  const library = () => client.metagraph(NETUID);
  // The sidecar's call: the hash of a head the connection announced (newHeads), passed back in.
  for (let waited = 0; !connection.bestHead && waited < 5_000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const knownHash = connection.bestHead?.hash ?? (await connection.send('chain_getBlockHash', []));
  const libraryAtHash = () => client.metagraph(NETUID, knownHash);
  // What a client without the library's decoder does: @polkadot/api's runtime call, decoded into Codecs.
  const decoded = () => api.call.neuronInfoRuntimeApi.getNeuronsLite(NETUID);

  t = performance.now();
  const check = await library();
  const coldMs = performance.now() - t;
  if (check.neurons.length !== NEURONS || check.source !== 'runtime-api') {
    throw new Error(
      `expected ${NEURONS} neurons via the runtime API, got ${check.neurons.length} via ${check.source}`,
    );
  }
  const rawBytes = ((await raw()).length - 2) / 2;
  t = performance.now();
  const atHash = await libraryAtHash();
  const coldHashMs = performance.now() - t;
  if (atHash.source !== 'runtime-api' || atHash.blockHash !== knownHash) {
    throw new Error(`metagraph at ${knownHash} came via ${atHash.source} at ${atHash.blockHash}`);
  }

  for (let i = 0; i < 5; i++) {
    await raw();
    await library();
    await libraryAtHash();
    await decoded();
  }
  const rawSamples = [];
  const librarySamples = [];
  const decodedSamples = [];
  const atHashSamples = [];
  for (let i = 0; i < iterations; i++) {
    t = performance.now();
    await raw();
    rawSamples.push(performance.now() - t);
    t = performance.now();
    await library();
    librarySamples.push(performance.now() - t);
    t = performance.now();
    await libraryAtHash();
    atHashSamples.push(performance.now() - t);
    t = performance.now();
    await decoded();
    decodedSamples.push(performance.now() - t);
  }
  const r = stats(rawSamples);
  const l = stats(librarySamples);
  const d = stats(decodedSamples);
  const h = stats(atHashSamples);
  console.log(
    `devnet ready in ${fmt(readyMs)}; ${NEURONS} neurons, get_neurons_lite answer ${rawBytes} bytes`,
  );
  console.log(`raw state_call      median ${fmt(r.median)}  p95 ${fmt(r.p95)}  min ${fmt(r.min)}`);
  console.log(
    `library metagraph   median ${fmt(l.median)}  p95 ${fmt(l.p95)}  min ${fmt(l.min)}  first call ${fmt(coldMs)}`,
  );
  console.log(
    `library at hash     median ${fmt(h.median)}  p95 ${fmt(h.p95)}  min ${fmt(h.min)}  first call ${fmt(coldHashMs)}`,
  );
  console.log(`api.call decoded    median ${fmt(d.median)}  p95 ${fmt(d.p95)}  min ${fmt(d.min)}`);
  console.log(
    `library / raw       ${(l.median / r.median).toFixed(2)}x  (goal ≤ 1.2x; absolute goal < 100 ms)`,
  );
  console.log(`at hash / raw       ${(h.median / r.median).toFixed(2)}x`);
  console.log(`library / api.call  ${(l.median / d.median).toFixed(2)}x`);
} finally {
  await connection?.disconnect();
  devnet.kill('SIGTERM');
  await rm(folder, { recursive: true, force: true });
}
