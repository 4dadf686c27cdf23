#!/usr/bin/env node
// Benchmark: how long the built devnet (dist/apps/devnet/main.js, the default scenario) takes from spawn to its
// first JSON-RPC answer over WebSocket, against a bare `ws` server started the same way (`node -e`), in the same
// run, so the ratio leaves out the machine's speed (Node's own start-up, spawning, the polling client). Both
// wall time and the process's CPU time until then (from /proc) are reported: on a busy machine the CPU time
// varies far less than the wall time.
//
//   node bench/devnet-start.bench.mjs [--runs 15] [--main dist/apps/devnet/main.js --no-build]
//
// Builds apps/devnet first (tools/build.mjs). Each run spawns the process on a free port, then opens a WebSocket
// every few milliseconds until one connects and answers `chain_getBlockHash`; the two servers alternate. The
// subtensor metadata must already be in the workspace cache (node_modules/.cache/vstack), as after any earlier
// devnet start: a first download is not start-up time.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    main: { type: 'string', default: 'dist/apps/devnet/main.js' },
    'no-build': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const POLL_MS = 2;
const TIMEOUT_MS = 60_000;

if (!values['no-build']) {
  const built = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', 'apps/devnet', '--entry', 'src/main.ts'],
    { cwd: root, stdio: 'inherit' },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const freePort = () =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

// The same JSON-RPC answer shape a node gives, from the smallest server `ws` makes.
const BARE_SERVER = `
const { WebSocketServer } = require('ws');
const server = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT) });
server.on('connection', (socket) => socket.on('message', (data) => {
  const { id } = JSON.parse(String(data));
  socket.send(JSON.stringify({ jsonrpc: '2.0', id, result: '0x' + '00'.repeat(32) }));
}));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Resolves once a WebSocket to `port` connects and answers one request; rejects when it does not connect. */
const answers = (port) =>
  new Promise((resolveAnswer, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.once('error', reject);
    socket.once('open', () => {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getBlockHash', params: [0] }));
    });
    socket.once('message', (data) => {
      const answer = JSON.parse(String(data));
      socket.terminate();
      if (typeof answer.result === 'string') resolveAnswer();
      else reject(new Error(`unexpected answer ${String(data)}`));
    });
  });

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU time (user + system) a process has used so far, from /proc; NaN where there is no /proc. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/** Milliseconds from spawning `args` to its first WebSocket answer, and the CPU time it used until then. */
async function readyTime(args, env) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error(`${args.join(' ')} exited before it answered`);
      try {
        await answers(port);
        return { wall: performance.now() - started, cpu: cpuMs(child.pid) };
      } catch {
        // not listening yet
      }
      if (performance.now() - started > TIMEOUT_MS) throw new Error(`no answer within ${TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
  } finally {
    if (!exited) {
      const gone = new Promise((resolveExit) => child.once('exit', resolveExit));
      child.kill('SIGTERM');
      await gone;
    }
  }
}

const devnetArgs = [resolve(root, values.main)];
const devnetEnv = { HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
const bareArgs = ['-e', BARE_SERVER];

// One devnet start first: it fills the metadata cache when it is empty, and warms the disk cache for both.
await readyTime(devnetArgs, devnetEnv);
await readyTime(bareArgs, {});

const devnet = { wall: [], cpu: [] };
const bare = { wall: [], cpu: [] };
for (let run = 0; run < RUNS; run++) {
  for (const [samples, args, env] of [
    [bare, bareArgs, {}],
    [devnet, devnetArgs, devnetEnv],
  ]) {
    const { wall, cpu } = await readyTime(args, env);
    samples.wall.push(wall);
    samples.cpu.push(cpu);
  }
}
const median = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const line = (label, { wall, cpu }) =>
  `${label.padEnd(16)}median ${fmt(median(wall))}  min ${fmt(Math.min(...wall))}  CPU median ${fmt(median(cpu))}`;
console.log(line('bare ws server', bare));
console.log(line('devnet', devnet));
console.log(
  `devnet / bare   ${(median(devnet.wall) / median(bare.wall)).toFixed(2)}x wall, ` +
    `${(median(devnet.cpu) / median(bare.cpu)).toFixed(2)}x CPU  (${RUNS} runs each; goal: devnet ready < 1 s)`,
);
