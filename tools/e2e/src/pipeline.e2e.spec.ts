import { isPortFree } from '@vstack/local-infra';
import { apiPaths, weightsHistoryResponseSchema, type WeightsJob } from '@vstack/sidecar-client';
import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  type RunningDevnet,
  startApp,
  type StartAppOptions,
  startDevnet,
  type TestSchema,
  uniqueTestName,
} from '@vstack/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { spearman, until, weightsOnChain } from './pipeline';

// The whole validator pipeline as real processes on one machine: the devnet, eight demo miners of falling quality
// each behind its own miner proxy, and the sidecar, managing, scoring, synthesizing and the validator on one Redis
// prefix and real Postgres. Synthesizing feeds challenges, the validator sends them to every miner, scoring ranks
// the miners, and at each epoch the weights go through the sidecar onto the devnet.

const NETUID = 1;
const TEMPO = 30;
const BLOCK_TIME_MS = 250;
const IDENTITY = 'e2e';
const IDENTITY_TOKEN = 'pipeline-e2e-identity-token';
const OPEN_TOKEN = 'pipeline-e2e-open-access-token';
const ALICE_UID = 0;
const ALICE_ADDRESS = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const TAO = 1_000_000_000n;
/** Responses scored per miner before the leaderboard is read. */
const ROUNDS = 60;
const MIN_CORRELATION = 0.8;

/** Miners from best to worst: uid = index + 1 (Alice is uid 0). */
const MINERS = [0, 0.12, 0.24, 0.36, 0.48, 0.6, 0.72, 0.84].map((errorRate, index) => ({
  uid: index + 1,
  hotkey: `//Miner${index}`,
  errorRate,
  seed: 1_000 + index,
}));
/** The quality each miner was configured with: higher is better. */
const quality = (uid: number): number => 1 - (MINERS.find((miner) => miner.uid === uid)?.errorRate ?? 1);

interface LeaderboardMiner {
  rank: number;
  uid: number;
  hotkey: string;
  score: number;
  scored: number;
}
interface MinersOverview {
  miners: { uid: number; health: { circuit: string; consecutiveFailures: number } }[];
}

describe('validator pipeline end to end', () => {
  const redisUrl = inject('redisUrl');
  const databaseUrl = inject('databaseUrl');
  const prefix = uniqueTestName('pipeline_e2e');
  const schemas: TestSchema[] = [];
  const miners = new Map<number, { demo: RunningApp; proxy: RunningApp }>();
  /** The stack's services, in the order they started. */
  const services: { name: string; app: RunningApp }[] = [];
  let devnet: RunningDevnet | undefined;
  let sidecar: RunningApp;
  let scoring: RunningApp;
  let managing: RunningApp;
  const started = Date.now();

  const getJson = async <T>(port: number, path: string, token?: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const leaderboard = async () =>
    (await getJson<{ miners: LeaderboardMiner[] }>(scoring.port, '/scores')).miners;
  const weightsJobs = async (): Promise<WeightsJob[]> =>
    weightsHistoryResponseSchema.parse(
      await getJson(sidecar.port, apiPaths.weightsHistory(IDENTITY, NETUID), IDENTITY_TOKEN),
    ).jobs;
  const head = async () =>
    (await getJson<{ number: number }>(sidecar.port, '/api/v1/block/latest', OPEN_TOKEN)).number;
  const epochAt = (block: number) => Math.floor((block + NETUID + 1) / (TEMPO + 1));
  const postgres = async (label: string) => {
    const schema = await createTestSchema(databaseUrl, label);
    schemas.push(schema);
    return { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema.schema, DATABASE_MIGRATE_ON_START: 'true' };
  };
  const redis = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
  const startService = async (name: string, options: StartAppOptions): Promise<RunningApp> => {
    const app = await startApp(name, options);
    services.push({ name, app });
    return app;
  };
  const log = (message: string) => {
    console.info(`[pipeline +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
  };

  beforeAll(async () => {
    // The proxies' ports go into the chain's axons before the proxies start, seconds later. Ports from the kernel's
    // ephemeral range (what freePort hands out) can be taken in between by the connections of tests running beside
    // this one, so these come from below it.
    const proxyPorts = new Map<number, number>();
    let candidate = 20_000 + Math.floor(Math.random() * 10_000);
    for (const miner of MINERS) {
      while (!(await isPortFree(candidate))) candidate += 1;
      proxyPorts.set(miner.uid, candidate);
      candidate += 1;
    }
    devnet = await startDevnet({
      blockTimeMs: BLOCK_TIME_MS,
      scenario: {
        subnets: [
          {
            netuid: NETUID,
            tempo: TEMPO,
            weightsRateLimit: 5,
            neurons: [
              { hotkey: '//Alice', stake: String(100_000n * TAO), validator: true },
              ...MINERS.map((miner) => ({
                hotkey: miner.hotkey,
                axon: { ip: '127.0.0.1', port: proxyPorts.get(miner.uid), protocol: 4, version: 1 },
              })),
            ],
          },
        ],
      },
    });
    const subtensorUrl = devnet.url;
    // allSettled: every miner started is known to afterAll before a failure stops the set-up.
    const minerStarts = await Promise.allSettled(
      MINERS.map(async (miner) => {
        const demo = await startApp('demo-miner', {
          env: { DEMO_MINER_ERROR_RATE: String(miner.errorRate), DEMO_MINER_SEED: String(miner.seed) },
        });
        try {
          const proxy = await startApp('miner-proxy', {
            port: proxyPorts.get(miner.uid),
            timeoutMs: 40_000,
            env: {
              ...redis,
              REDIS_PREFIX: `${prefix}_proxy${miner.uid}`,
              MINER_HOTKEY: miner.hotkey,
              NETUID: String(NETUID),
              SUBTENSOR_URL: subtensorUrl,
              INFERENCE_SERVER_URL: `http://127.0.0.1:${demo.port}`,
              RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
              METAGRAPH_MAX_AGE_BLOCKS: '1000',
            },
            ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
          });
          miners.set(miner.uid, { demo, proxy });
        } catch (error) {
          await demo.stop();
          throw error;
        }
      }),
    );
    const failedStart = minerStarts.find((result) => result.status === 'rejected');
    if (failedStart) throw failedStart.reason;
    log('devnet, demo miners and miner proxies ready');
    sidecar = await startService('sidecar', {
      timeoutMs: 40_000,
      env: {
        ...redis,
        ...(await postgres('pipeline_sidecar')),
        SUBTENSOR_URL: subtensorUrl,
        SIDECAR_IDENTITIES: JSON.stringify([
          { name: IDENTITY, netuid: NETUID, token: IDENTITY_TOKEN, hotkey: '//Alice' },
        ]),
        SIDECAR_OPEN_ACCESS_TOKEN: OPEN_TOKEN,
        SIDECAR_BLOCK_TIME_MS: String(BLOCK_TIME_MS),
        SIDECAR_WEIGHTS_RETRY_DELAY_MS: '500',
        SIDECAR_WEIGHTS_ATTEMPT_TIMEOUT_MS: '20000',
      },
    });
    scoring = await startService('scoring', {
      env: {
        ...redis,
        ...(await postgres('pipeline_scoring')),
        NETUID: String(NETUID),
        SCORING_IDENTITY: IDENTITY,
        SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=1',
        // Accuracy alone: every miner answers from localhost about as fast, so speed would only add noise.
        SCORING_SPEED_WEIGHT: '0',
        SCORING_EMA_ALPHA: '0.05',
        SCORING_DROPOUT_MAX: '100000',
      },
    });
    managing = await startService('managing', {
      env: {
        ...redis,
        NETUID: String(NETUID),
        VALIDATOR_HOTKEY_ADDRESS: ALICE_ADDRESS,
        MANAGING_CAPACITY_DEFAULT: '100000',
        MANAGING_CAPACITY_MIN: '100000',
        MANAGING_CAPACITY_MAX: '100000',
        MANAGING_SYNTHETIC_SHARE: '1',
        MANAGING_CIRCUIT_FAILURES: '5',
        MANAGING_CIRCUIT_OPEN_MS: '600000',
        MANAGING_CIRCUIT_OPEN_MAX_MS: '600000',
        MANAGING_METAGRAPH_REFRESH_MS: '5000',
        MANAGING_SCORES_REFRESH_MS: '5000',
      },
    });
    await startService('validator', {
      env: {
        ...redis,
        NETUID: String(NETUID),
        VALIDATOR_HOTKEY: '//Alice',
        VALIDATOR_WEIGHTS_IDENTITY: IDENTITY,
        VALIDATOR_SYNTHETIC_MINERS: String(MINERS.length),
        VALIDATOR_SYNTHETIC_CONCURRENCY: '8',
        SHUTDOWN_TIMEOUT_MS: '3000',
      },
    });
    await startService('synthesizing', {
      env: {
        ...redis,
        ...(await postgres('pipeline_synthesizing')),
        SYNTHESIZING_TASKS_PER_MINUTE: 'arithmetic=240',
        SYNTHESIZING_MAX_QUEUE_DEPTH: '20',
        SYNTHESIZING_TICK_MS: '250',
      },
    });
    log('services ready');
  }, 180_000);

  let failed = false;
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    const running = [
      ...services.reverse(),
      ...[...miners].flatMap(([uid, { demo, proxy }]) => [
        { name: `miner-proxy ${uid}`, app: proxy },
        { name: `demo-miner ${uid}`, app: demo },
      ]),
    ];
    // The processes' own logs (warnings and errors) explain a failure better than the assertion does.
    if (failed) for (const { name, app } of running) console.info(`--- ${name} ---\n${app.output()}`);
    await Promise.allSettled(running.map(({ app }) => app.stop()));
    await devnet?.stop();
    await Promise.allSettled(schemas.map((schema) => schema.drop()));
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
    await Promise.allSettled(
      MINERS.map((miner) => deleteRedisKeysWithPrefix(redisUrl, `${prefix}_proxy${miner.uid}`)),
    );
    log('stopped');
  }, 60_000);

  /** Weights of Alice's row on chain as shares of their sum, by uid. */
  const chainShares = async (): Promise<Map<number, number>> => {
    if (!devnet) throw new Error('no devnet');
    const row = await weightsOnChain(devnet.port, NETUID, ALICE_UID);
    const total = [...row.values()].reduce((sum, value) => sum + value, 0);
    return new Map([...row].map(([uid, value]) => [uid, total === 0 ? 0 : value / total]));
  };
  /** The next weights job of an epoch after `epoch` that landed on chain. */
  const landedAfter = async (epoch: number): Promise<WeightsJob> => {
    const job = await until(
      `a weights job after epoch ${epoch} on chain`,
      async () =>
        (await weightsJobs()).find((candidate) => candidate.epoch > epoch && candidate.state === 'succeeded'),
      (found) => found !== undefined,
      60_000,
      500,
    );
    if (!job) throw new Error('unreachable: until returned no job');
    return job;
  };

  let rankedAtEpoch = 0;

  it('ranks the miners by quality on the scoring leaderboard', async () => {
    const board = await until(
      `every miner scored ${ROUNDS} times`,
      leaderboard,
      (entries) => entries.length === MINERS.length && entries.every((entry) => entry.scored >= ROUNDS),
      120_000,
      1_000,
    );
    rankedAtEpoch = epochAt(await head());
    log(
      `leaderboard: ${board.map((entry) => `uid ${entry.uid} ${entry.score.toFixed(3)} (${entry.scored})`).join(', ')}`,
    );
    const correlation = spearman(
      board.map((entry) => entry.score),
      board.map((entry) => quality(entry.uid)),
    );
    log(`leaderboard rank correlation ${correlation.toFixed(3)}`);
    expect(correlation).toBeGreaterThanOrEqual(MIN_CORRELATION);
    // The leaderboard's better half holds the better configured miners, far apart from the worse half.
    const half = MINERS.length / 2;
    const meanQuality = (entries: LeaderboardMiner[]) =>
      entries.reduce((sum, entry) => sum + quality(entry.uid), 0) / entries.length;
    expect(meanQuality(board.slice(0, half)) - meanQuality(board.slice(half))).toBeGreaterThan(0.3);
  });

  let sharesBefore = new Map<number, number>();

  it("puts the validator's weights on the devnet at the next epoch, in the same order", async () => {
    const job = await landedAfter(rankedAtEpoch);
    sharesBefore = await chainShares();
    log(
      `weights of epoch ${job.epoch} at block ${job.block}: ${JSON.stringify(Object.fromEntries(sharesBefore))}`,
    );
    expect(job).toMatchObject({ identity: IDENTITY, netuid: NETUID, mode: 'direct', count: MINERS.length });
    expect([...sharesBefore.keys()].sort((a, b) => a - b)).toEqual(MINERS.map((miner) => miner.uid));
    const uids = MINERS.map((miner) => miner.uid);
    const correlation = spearman(
      uids.map((uid) => sharesBefore.get(uid) ?? 0),
      uids.map(quality),
    );
    log(`weights rank correlation ${correlation.toFixed(3)}`);
    expect(correlation).toBeGreaterThanOrEqual(MIN_CORRELATION);
  });

  it("opens a stopped miner's circuit and lowers its weight at a later epoch", async () => {
    const best = MINERS[0];
    const stopped = best === undefined ? undefined : miners.get(best.uid);
    if (!best || !stopped) throw new Error('no best miner');
    await stopped.demo.kill();
    const stoppedAtEpoch = epochAt(await head());
    log(`killed the demo miner of uid ${best.uid} in epoch ${stoppedAtEpoch}`);
    const overview = await until(
      `uid ${best.uid}'s circuit open`,
      () => getJson<MinersOverview>(managing.port, '/miners'),
      (view) => view.miners.find((miner) => miner.uid === best.uid)?.health.circuit === 'open',
      30_000,
    );
    expect(
      overview.miners.filter((miner) => miner.health.circuit === 'open').map((miner) => miner.uid),
    ).toEqual([best.uid]);
    // Its failed calls score 0 until the circuit opens; the weights of the epoch after that show it.
    const openedAtEpoch = epochAt(await head());
    const job = await landedAfter(openedAtEpoch);
    const sharesAfter = await chainShares();
    log(`weights of epoch ${job.epoch} after the stop: ${JSON.stringify(Object.fromEntries(sharesAfter))}`);
    expect(sharesAfter.get(best.uid) ?? 0).toBeLessThan(sharesBefore.get(best.uid) ?? 0);
    log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
