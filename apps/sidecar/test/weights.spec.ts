import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChainConnection, epochAt, loadHotkey, SubtensorClient } from '@vstack/chain';
import { JobName, JobProducer } from '@vstack/queues';
import {
  apiPaths,
  putWeightsResponseSchema,
  type WeightsJob,
  weightsHistoryResponseSchema,
  type WeightsJobState,
} from '@vstack/sidecar-client';
import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  type RunningDevnet,
  startApp,
  startDevnet,
  type TestSchema,
  uniqueTestName,
  workspaceRoot,
} from '@vstack/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devnetCall, METRICS_TOKEN, metricValue } from './sidecar-process';

// The weights side end to end: the built sidecar (a child process, migrated with `main.js migrate`) against the
// real devnet sealing a block every 250 ms, real Postgres and Redis. Subnet 1 takes weights directly (alice),
// subnet 2 switches commit-reveal on and off (bob), subnet 3 runs commit-reveal for the crash test (charlie).

const BLOCK_TIME_MS = 250;
const TEMPO = 40;
const RATE_LIMIT = 8;
const TAO = 1_000_000_000n;

const TOKENS = {
  alice: 'alice-weights-token-0123456789',
  bob: 'bob-weights-token-0123456789',
  charlie: 'charlie-weights-token-0123456789',
} as const;
type Name = keyof typeof TOKENS;

const miners = [
  { hotkey: '//Dave', axon: { ip: '127.0.0.1', port: 8091 } },
  { hotkey: '//Eve', axon: { ip: '127.0.0.1', port: 8191 } },
  { hotkey: '//Ferdie', axon: { ip: '127.0.0.1', port: 8192 } },
];
const validator = (uri: string) => ({ hotkey: uri, stake: String(100_000n * TAO), validator: true });
const scenario = {
  subnets: [
    {
      netuid: 1,
      tempo: TEMPO,
      weightsRateLimit: RATE_LIMIT,
      neurons: [validator('//Alice'), validator('//Bob'), ...miners],
    },
    { netuid: 2, tempo: TEMPO, weightsRateLimit: 0, neurons: [validator('//Bob'), ...miners] },
    {
      netuid: 3,
      tempo: TEMPO,
      weightsRateLimit: 0,
      commitRevealEnabled: true,
      revealPeriodEpochs: 1,
      neurons: [validator('//Charlie'), ...miners],
    },
  ],
};

const prefix = uniqueTestName('sidecar_weights');
let devnet: RunningDevnet;
let schema: TestSchema;
let sidecar: RunningApp;
let connection: ChainConnection;
let client: SubtensorClient;
const hotkeys: Record<string, string> = {};

function sidecarEnv(): Record<string, string> {
  return {
    SUBTENSOR_URL: devnet.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    DATABASE_URL: inject('databaseUrl'),
    DATABASE_SCHEMA: schema.schema,
    SIDECAR_IDENTITIES: JSON.stringify([
      { name: 'alice', netuid: 1, token: TOKENS.alice, hotkey: '//Alice' },
      { name: 'bob', netuid: 2, token: TOKENS.bob, hotkey: '//Bob' },
      { name: 'charlie', netuid: 3, token: TOKENS.charlie, hotkey: '//Charlie' },
    ]),
    SIDECAR_BLOCK_TIME_MS: String(BLOCK_TIME_MS),
    SIDECAR_WEIGHTS_RETRY_DELAY_MS: '500',
    SIDECAR_WEIGHTS_ATTEMPT_TIMEOUT_MS: '20000',
    METRICS_TOKEN,
  };
}

/** `node main.js migrate`, as a deployment runs it before starting the service. */
function migrate(): void {
  const result = spawnSync(process.execPath, [join(workspaceRoot, 'dist/apps/sidecar/main.js'), 'migrate'], {
    cwd: workspaceRoot,
    env: { ...process.env, LOG_FORMAT: 'json', ...sidecarEnv() },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr || result.stdout).toBe(0);
}

function startSidecar(): Promise<RunningApp> {
  return startApp('sidecar', { timeoutMs: 40_000, env: sidecarEnv() });
}

function url(path: string): string {
  return `http://127.0.0.1:${sidecar.port}${path}`;
}

async function put(
  name: string,
  netuid: number | string,
  body: unknown,
  /** The identity's own token when left out; null sends none. */
  token?: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const bearer = token === undefined ? (TOKENS as Record<string, string | undefined>)[name] : token;
  const response = await fetch(url(apiPaths.weights(name, netuid as number)), {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      ...(bearer == null ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function history(name: Name, netuid: number, limit?: number): Promise<WeightsJob[]> {
  const query = limit === undefined ? '' : `?limit=${limit}`;
  const response = await fetch(url(`${apiPaths.weightsHistory(name, netuid)}${query}`), {
    headers: { authorization: `Bearer ${TOKENS[name]}` },
  });
  expect(response.status).toBe(200);
  return weightsHistoryResponseSchema.parse(await response.json()).jobs;
}

/** Schedules weights and returns the job id, checking the answer against the contract. */
async function schedule(name: Name, netuid: number, weights: Record<string, number>) {
  const answer = await put(name, netuid, { weights });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return putWeightsResponseSchema.parse(answer.body);
}

/** Polls the history until the job reaches one of `states`. */
async function waitForJob(
  name: Name,
  netuid: number,
  id: string,
  states: readonly WeightsJobState[],
  timeoutMs = 40_000,
): Promise<WeightsJob> {
  const deadline = Date.now() + timeoutMs;
  let last: WeightsJob | undefined;
  while (Date.now() < deadline) {
    last = (await history(name, netuid)).find((job) => job.id === id);
    if (last && states.includes(last.state)) return last;
    await sleep(100);
  }
  throw new Error(`job ${id} did not reach ${states.join('/')}: ${JSON.stringify(last)}`);
}

/** Waits for the first blocks of a fresh epoch, so a test's jobs have the whole epoch. */
async function waitForEpochStart(netuid: number): Promise<void> {
  for (;;) {
    const epoch = await client.epoch(netuid);
    if ((epoch.blocksUntilNextEpoch ?? 0) >= TEMPO - 3) return;
    await sleep(BLOCK_TIME_MS / 2);
  }
}

async function uidOf(netuid: number, uri: string): Promise<number> {
  const metagraph = await client.metagraph(netuid);
  const neuron = metagraph.neurons.find((candidate) => candidate.hotkey === hotkeys[uri]);
  if (!neuron) throw new Error(`${uri} is not on subnet ${netuid}`);
  return neuron.uid;
}

beforeAll(async () => {
  devnet = await startDevnet({ blockTimeMs: BLOCK_TIME_MS, scenario });
  connection = new ChainConnection({ endpoints: [devnet.url] });
  client = new SubtensorClient({ connection });
  await connection.connect();
  for (const uri of ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie']) {
    hotkeys[uri] = (await loadHotkey({ kind: 'uri', uri })).address;
  }
  schema = await createTestSchema(inject('databaseUrl'), 'sidecar_weights');
  migrate();
  sidecar = await startSidecar();
}, 120_000);

afterAll(async () => {
  await sidecar.stop();
  await connection.disconnect();
  await devnet.stop();
  await schema.drop();
  await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
});

describe('PUT weights: refusals', () => {
  const dave = () => hotkeys['//Dave'] ?? '';

  it.each([
    ['no token', 'alice', 1, { weights: { x: 1 } }, null, 401, 'unauthorized'],
    ["another identity's token", 'alice', 1, { weights: { x: 1 } }, TOKENS.bob, 403, 'forbidden'],
    ['an unknown identity', 'mallory', 1, { weights: { x: 1 } }, TOKENS.alice, 404, 'identity_not_found'],
    [
      'a subnet that does not exist',
      'alice',
      99,
      { weights: { x: 1 } },
      TOKENS.alice,
      404,
      'subnet_not_found',
    ],
    [
      'a netuid that is not a number',
      'alice',
      'one',
      { weights: { x: 1 } },
      TOKENS.alice,
      400,
      'invalid_request',
    ],
    ['weights that are not an object', 'alice', 1, { weights: [1] }, TOKENS.alice, 400, 'invalid_weights'],
    ['empty weights', 'alice', 1, { weights: {} }, TOKENS.alice, 400, 'invalid_weights'],
    ['a negative weight', 'alice', 1, { weights: { x: -1 } }, TOKENS.alice, 400, 'invalid_weights'],
    [
      'a weight that is not a number',
      'alice',
      1,
      { weights: { x: 'NaN' } },
      TOKENS.alice,
      400,
      'invalid_weights',
    ],
    ['a body that is not JSON', 'alice', 1, '{"weights":', TOKENS.alice, 400, 'malformed_json'],
  ])('refuses %s', async (_case, name, netuid, body, token, status, code) => {
    const answer = await put(name, netuid, body, token);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error: { code } });
  });

  it('refuses more weights than the subnet has neurons, naming both counts', async () => {
    const weights = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`5Hotkey${i}`, 1]));
    const answer = await put('alice', 1, { weights });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { code: 'invalid_weights', message: '"weights" has 6 entries but subnet 1 has only 5 neurons' },
    });
  });

  it('refuses weights whose hotkeys are all unknown, or all zero', async () => {
    const unknown = await put('alice', 1, { weights: { '5Unknown': 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      error: { code: 'invalid_weights', message: expect.stringMatching(/none of the 1 hotkeys/) },
    });
    const zero = await put('alice', 1, { weights: { [dave()]: 0 } });
    expect(zero.status).toBe(400);
    expect(zero.body).toMatchObject({
      error: { code: 'invalid_weights', message: expect.stringMatching(/zero/) },
    });
  });

  it('refuses a timeout header out of range', async () => {
    const response = await fetch(url(apiPaths.weights('alice', 1)), {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKENS.alice}`,
        'x-timeout-ms': '0',
      },
      body: JSON.stringify({ weights: { [dave()]: 1 } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_timeout' } });
    expect(await history('alice', 1)).toEqual([]);
  });

  it('refuses a bad history limit', async () => {
    const response = await fetch(url(`${apiPaths.weightsHistory('alice', 1)}?limit=0`), {
      headers: { authorization: `Bearer ${TOKENS.alice}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('direct weights on subnet 1', () => {
  let first: WeightsJob;

  it('puts the weights on chain, dropping unknown hotkeys', async () => {
    await waitForEpochStart(1);
    const head = (await client.head()).number;
    const answer = await schedule('alice', 1, {
      [hotkeys['//Dave'] ?? '']: 0.8,
      [hotkeys['//Eve'] ?? '']: 0.2,
      '5UnknownHotkey': 1,
    });
    expect(answer).toMatchObject({
      detail: 'weights update scheduled',
      count: 2,
      unknown_hotkeys: ['5UnknownHotkey'],
    });
    expect(answer.epoch).toBe(epochAt(1, TEMPO, head).index);
    first = await waitForJob('alice', 1, answer.job_id, ['succeeded', 'failed', 'expired']);
    expect(first).toMatchObject({
      state: 'succeeded',
      mode: 'direct',
      attempts: 1,
      count: 2,
      last_error: null,
    });
    expect(first.tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const onChain = await client.weightsOf(1, await uidOf(1, '//Alice'));
    const dave = await uidOf(1, '//Dave');
    const eve = await uidOf(1, '//Eve');
    expect(Object.fromEntries(onChain.uids.map((uid, i) => [uid, onChain.weights[i]]))).toEqual({
      [dave]: 65_535,
      [eve]: 16_384,
    });
  });

  it('waits for the weights rate limit instead of failing, then lands', async () => {
    const answer = await schedule('alice', 1, {
      [hotkeys['//Dave'] ?? '']: 0.1,
      [hotkeys['//Eve'] ?? '']: 0.9,
    });
    const second = await waitForJob('alice', 1, answer.job_id, ['succeeded', 'failed', 'expired']);
    expect(second).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(second.block ?? 0).toBeGreaterThanOrEqual((first.block ?? 0) + RATE_LIMIT);
    const onChain = await client.weightsOf(1, await uidOf(1, '//Alice'));
    expect(onChain.weights).toContain(65_535);
    const attempts = (outcome: string) =>
      metricValue({ url: url('') }, 'vstack_weights_attempt_duration_seconds_count', {
        operation: 'set',
        outcome,
      });
    expect(await attempts('ok')).toBe(2);
    expect(await attempts('rate_limited')).toBe(0);
    expect(
      await metricValue({ url: url('') }, 'vstack_chain_operation_duration_seconds_count', {
        operation: 'set_weights',
        status: 'ok',
      }),
    ).toBe(2);
  });

  it('cancels a waiting job when a newer one arrives; the history shows every state', async () => {
    const third = await schedule('alice', 1, { [hotkeys['//Dave'] ?? '']: 1 });
    const fourth = await schedule('alice', 1, { [hotkeys['//Eve'] ?? '']: 1 });
    const cancelled = await waitForJob('alice', 1, third.job_id, ['cancelled', 'succeeded']);
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      last_error: `cancelled: superseded by job ${fourth.job_id}`,
    });
    await waitForJob('alice', 1, fourth.job_id, ['succeeded']);
    const jobs = await history('alice', 1);
    expect(jobs.slice(0, 4).map((job) => job.state)).toEqual([
      'succeeded',
      'cancelled',
      'succeeded',
      'succeeded',
    ]);
    expect(jobs[0]?.id).toBe(fourth.job_id);
    expect((await history('alice', 1, 2)).map((job) => job.id)).toEqual([fourth.job_id, third.job_id]);
    expect(
      await metricValue({ url: url('') }, 'vstack_weights_job_duration_seconds_count', {
        outcome: 'cancelled',
      }),
    ).toBe(1);
  });

  it('runs weights jobs from the scoring queue, for the first identity on the netuid', async () => {
    await waitForEpochStart(1);
    const producer = new JobProducer({ redisUrl: inject('redisUrl'), prefix });
    try {
      const epoch = (await client.epoch(1)).index;
      await producer.add(
        JobName.SetWeights,
        { netuid: 1, epoch, weights: { [hotkeys['//Ferdie'] ?? '']: 1 } },
        { jobId: `scoring-1-${epoch}` },
      );
      await producer.add(
        JobName.SetWeights,
        { netuid: 1, epoch, weights: { [hotkeys['//Ferdie'] ?? '']: 1 }, identity: 'mallory' },
        { jobId: `scoring-mallory-${epoch}` },
      );
      const job = await waitForJob('alice', 1, `scoring-1-${epoch}`, ['succeeded', 'failed', 'expired']);
      expect(job).toMatchObject({ state: 'succeeded', identity: 'alice', epoch, count: 1 });
      const onChain = await client.weightsOf(1, await uidOf(1, '//Alice'));
      expect(onChain.uids).toEqual([await uidOf(1, '//Ferdie')]);

      // Not in any identity's history: the job names no identity the sidecar has; it is recorded as failed.
      const db = new pg.Client({ connectionString: inject('databaseUrl') });
      await db.connect();
      try {
        const read = async () =>
          (
            await db.query<{ state: string; last_error: string }>(
              `SELECT state, last_error FROM ${pg.escapeIdentifier(schema.schema)}.sidecar_weights_jobs WHERE id = $1`,
              [`scoring-mallory-${epoch}`],
            )
          ).rows;
        let rows = await read();
        for (let tries = 0; rows.length === 0 && tries < 100; tries++) {
          await sleep(100);
          rows = await read();
        }
        expect(rows).toEqual([{ state: 'failed', last_error: 'no identity named "mallory" is configured' }]);
      } finally {
        await db.end();
      }
    } finally {
      await producer.close();
    }
  });
});

describe('commit-reveal', () => {
  it('commits, then reveals in the next epoch, when the subnet turns commit-reveal on', async () => {
    await devnetCall(devnet, 'dev_setHyperparameters', [
      2,
      { commitRevealEnabled: true, revealPeriodEpochs: 1 },
    ]);
    expect(await client.weightsMode(2)).toBe('commit-reveal');
    // Committed early in an epoch, the job stays committed for the rest of it: the state cannot be missed.
    await waitForEpochStart(2);
    const answer = await schedule('bob', 2, { [hotkeys['//Dave'] ?? '']: 0.5, [hotkeys['//Eve'] ?? '']: 1 });
    const committed = await waitForJob('bob', 2, answer.job_id, [
      'committed',
      'succeeded',
      'failed',
      'expired',
    ]);
    expect(committed).toMatchObject({
      state: 'committed',
      mode: 'commit-reveal',
      attempts: 1,
      reveal_tx_hash: null,
    });
    const done = await waitForJob('bob', 2, answer.job_id, ['succeeded', 'failed', 'expired'], 60_000);
    expect(done).toMatchObject({ state: 'succeeded', mode: 'commit-reveal', attempts: 2 });
    expect(done.reveal_tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const commitEpoch = epochAt(2, TEMPO, committed.block ?? 0).index;
    expect(epochAt(2, TEMPO, done.reveal_block ?? 0).index).toBe(commitEpoch + 1);
    const onChain = await client.weightsOf(2, await uidOf(2, '//Bob'));
    expect(Object.fromEntries(onChain.uids.map((uid, i) => [uid, onChain.weights[i]]))).toEqual({
      [await uidOf(2, '//Dave')]: 32_768,
      [await uidOf(2, '//Eve')]: 65_535,
    });
  });

  it('sets weights directly again when the subnet turns commit-reveal off', async () => {
    await devnetCall(devnet, 'dev_setHyperparameters', [2, { commitRevealEnabled: false }]);
    const answer = await schedule('bob', 2, { [hotkeys['//Ferdie'] ?? '']: 1 });
    const done = await waitForJob('bob', 2, answer.job_id, ['succeeded', 'failed', 'expired']);
    expect(done).toMatchObject({ state: 'succeeded', mode: 'direct', attempts: 1, reveal_block: null });
  });

  it('finishes the reveal in a new sidecar process after the first one is killed after its commit', async () => {
    await waitForEpochStart(3);
    const answer = await schedule('charlie', 3, {
      [hotkeys['//Dave'] ?? '']: 1,
      [hotkeys['//Ferdie'] ?? '']: 0.25,
    });
    const committed = await waitForJob('charlie', 3, answer.job_id, [
      'committed',
      'succeeded',
      'failed',
      'expired',
    ]);
    expect(committed.state).toBe('committed');
    await sidecar.kill('SIGKILL');
    sidecar = await startSidecar();
    const done = await waitForJob('charlie', 3, answer.job_id, ['succeeded', 'failed', 'expired'], 60_000);
    expect(done).toMatchObject({ state: 'succeeded', mode: 'commit-reveal', tx_hash: committed.tx_hash });
    expect(epochAt(3, TEMPO, done.reveal_block ?? 0).index).toBe(
      epochAt(3, TEMPO, committed.block ?? 0).index + 1,
    );
    const onChain = await client.weightsOf(3, await uidOf(3, '//Charlie'));
    expect(Object.fromEntries(onChain.uids.map((uid, i) => [uid, onChain.weights[i]]))).toEqual({
      [await uidOf(3, '//Dave')]: 65_535,
      [await uidOf(3, '//Ferdie')]: 16_384,
    });
  });
});
