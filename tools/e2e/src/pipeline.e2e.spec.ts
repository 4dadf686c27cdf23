import { apiPaths, weightsHistoryResponseSchema, type WeightsJob } from '@vstack/sidecar-client';
import { uniqueTestName } from '@vstack/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { spearman, until, weightsOnChain } from './pipeline';
import {
  ALICE_UID,
  IDENTITY,
  IDENTITY_TOKEN,
  minerSpecs,
  NETUID,
  OPEN_TOKEN,
  type Pipeline,
  startPipeline,
  TEMPO,
} from './stack';

// The whole validator pipeline as real processes on one machine: the devnet, eight demo miners of falling quality
// each behind its own miner proxy, and the sidecar, managing, scoring, synthesizing and the validator on one Redis
// prefix and real Postgres. Synthesizing feeds challenges, the validator sends them to every miner, scoring ranks
// the miners, and at each epoch the weights go through the sidecar onto the devnet.

/** Responses scored per miner before the leaderboard is read. */
const ROUNDS = 60;
const MIN_CORRELATION = 0.8;

/** Miners from best to worst: uid = index + 1 (Alice is uid 0). */
const ERROR_RATES = [0, 0.12, 0.24, 0.36, 0.48, 0.6, 0.72, 0.84];
const MINERS = minerSpecs(
  ERROR_RATES.map((errorRate, index) => ({
    DEMO_MINER_ERROR_RATE: String(errorRate),
    DEMO_MINER_SEED: String(1_000 + index),
  })),
).map((miner, index) => ({ ...miner, errorRate: ERROR_RATES[index] ?? 1 }));
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
  let pipeline: Pipeline | undefined;
  const started = Date.now();

  const stack = (): Pipeline => {
    if (!pipeline) throw new Error('the pipeline did not start');
    return pipeline;
  };
  const getJson = async <T>(port: number, path: string, token?: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const leaderboard = async () =>
    (await getJson<{ miners: LeaderboardMiner[] }>(stack().scoring.port, '/scores')).miners;
  const weightsJobs = async (): Promise<WeightsJob[]> =>
    weightsHistoryResponseSchema.parse(
      await getJson(stack().sidecar.port, apiPaths.weightsHistory(IDENTITY, NETUID), IDENTITY_TOKEN),
    ).jobs;
  const head = async () =>
    (await getJson<{ number: number }>(stack().sidecar.port, '/api/v1/block/latest', OPEN_TOKEN)).number;
  const epochAt = (block: number) => Math.floor((block + NETUID + 1) / (TEMPO + 1));
  const log = (message: string) => {
    console.info(`[pipeline +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
  };

  beforeAll(async () => {
    pipeline = await startPipeline({
      redisUrl,
      databaseUrl,
      prefix,
      miners: MINERS,
      log,
      env: {
        scoring: {
          SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=1',
          // Accuracy alone: every miner answers from localhost about as fast, so speed would only add noise.
          SCORING_SPEED_WEIGHT: '0',
          SCORING_EMA_ALPHA: '0.05',
          SCORING_DROPOUT_MAX: '100000',
        },
        managing: {
          MANAGING_SYNTHETIC_SHARE: '1',
          MANAGING_CIRCUIT_FAILURES: '5',
          MANAGING_CIRCUIT_OPEN_MS: '600000',
          MANAGING_CIRCUIT_OPEN_MAX_MS: '600000',
        },
        validator: {
          VALIDATOR_SYNTHETIC_MINERS: String(MINERS.length),
          VALIDATOR_SYNTHETIC_CONCURRENCY: '8',
        },
        synthesizing: {
          SYNTHESIZING_TASKS_PER_MINUTE: 'arithmetic=240',
          SYNTHESIZING_MAX_QUEUE_DEPTH: '20',
        },
      },
    });
  }, 300_000);

  let failed = false;
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    // The processes' own logs (warnings and errors) explain a failure better than the assertion does.
    if (failed && pipeline) console.info(pipeline.output());
    await pipeline?.stop();
    log('stopped');
  }, 60_000);

  /** Weights of Alice's row on chain as shares of their sum, by uid. */
  const chainShares = async (): Promise<Map<number, number>> => {
    const row = await weightsOnChain(stack().devnet.port, NETUID, ALICE_UID);
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
    const stopped = best === undefined ? undefined : stack().miners.get(best.uid);
    if (!best || !stopped) throw new Error('no best miner');
    await stopped.demo.kill();
    const stoppedAtEpoch = epochAt(await head());
    log(`killed the demo miner of uid ${best.uid} in epoch ${stoppedAtEpoch}`);
    const overview = await until(
      `uid ${best.uid}'s circuit open`,
      () => getJson<MinersOverview>(stack().managing.port, '/miners'),
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
