import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createRpcClient,
  createRpcMicroserviceOptions,
  type Neuron,
  RpcClient,
  RpcHandler,
  RpcPayload,
  type RpcRequest,
  type RpcResponse,
} from '@vstack/contracts';
import { MetricName } from '@vstack/observability';
import { mulberry32, TaskTypeName, taskTypes } from '@vstack/protocol';
import { JobName, JobProducer, QueueName, type ScoreResponsePayload } from '@vstack/queues';
import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  startApp,
  type TestSchema,
  uniqueTestName,
} from '@vstack/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { LeaderboardView, MinerView } from '../src/leaderboard/dto/leaderboard.dto';

const NETUID = 1;
const VALIDATOR = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'; // //Alice
/**
 * Demo miners from best to worst: the leaderboard and the weights must come out in this order. The seeds make
 * each miner spoil its first 20 answers at its configured rate (0, 6 and 16 of them), so a run is a fair sample.
 */
const MINERS = [
  { uid: 1, hotkey: '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy', errorRate: '0', seed: '11' }, // //Dave
  { uid: 2, hotkey: '5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw', errorRate: '0.3', seed: '9' }, // //Eve
  { uid: 3, hotkey: '5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL', errorRate: '0.8', seed: '109' }, // //Ferdie
] as const;
const ARITHMETIC_ROUNDS = 24;
const SUMMARIZATION_ROUNDS = 6;
const DROPOUT_MAX = 20;
const METRICS_TOKEN = 'scoring-e2e-metrics-token';

function neuron(uid: number, hotkey: string): Neuron {
  return {
    uid,
    hotkey,
    coldkey: hotkey,
    active: true,
    axon: { ip: '127.0.0.1', port: 8091 + uid, protocol: 4 },
    stake: uid === 0 ? '1000000000000' : '0',
    validatorPermit: uid === 0,
    incentive: 0,
    consensus: 0,
    dividends: 0,
    emission: '0',
    validatorTrust: 0,
    lastUpdate: 0,
    blockAtRegistration: 0,
  };
}

/** The sidecar's side of the RPC contract, answering with a fixed metagraph: the validator and three miners. */
@Controller()
class FakeSidecar {
  @RpcHandler('chain.neurons')
  neurons(@RpcPayload('chain.neurons') request: RpcRequest<'chain.neurons'>): RpcResponse<'chain.neurons'> {
    return {
      netuid: request.netuid,
      block: 900,
      neurons: [neuron(0, VALIDATOR), ...MINERS.map((miner) => neuron(miner.uid, miner.hotkey))],
    };
  }

  @RpcHandler('chain.hyperparameters')
  hyperparameters(
    @RpcPayload('chain.hyperparameters') request: RpcRequest<'chain.hyperparameters'>,
  ): RpcResponse<'chain.hyperparameters'> {
    return {
      netuid: request.netuid,
      block: 900,
      tempo: 99,
      weightsRateLimit: 0,
      weightsVersion: 0,
      commitRevealEnabled: false,
      commitRevealPeriod: 1,
      minAllowedWeights: 1,
      maxWeightsLimit: 65_535,
      immunityPeriod: 0,
      activityCutoff: 5_000,
      maxValidators: 64,
      servingRateLimit: 0,
      registrationAllowed: true,
    };
  }
}

@Module({ controllers: [FakeSidecar] })
class FakeSidecarModule {}

describe('scoring end to end: demo miners, score jobs, leaderboard, weights at the epoch', () => {
  const redisUrl = inject('redisUrl');
  const prefix = uniqueTestName('scoring_e2e');
  const running: RunningApp[] = [];
  let schema: TestSchema;
  let sidecar: INestMicroservice;
  let rpc: RpcClient;
  let producer: JobProducer;
  let weightsQueue: Queue;
  let scoringUrl: string;
  let jobsSent = 0;

  /** GET on the scoring app: the status and the body, parsed when it is JSON. */
  const get = async (
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${scoringUrl}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : text };
  };
  const leaderboardNow = async () => (await get('/scores')).body as LeaderboardView;
  const metricsNow = async () =>
    (await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` })).body as string;

  /** Sends one task to every demo miner as the validator would and enqueues a score job per answer. */
  async function round(
    taskType: TaskTypeName,
    request: unknown,
    id: string,
    purpose: ScoreResponsePayload['purpose'] = 'synthetic',
  ): Promise<void> {
    await Promise.all(
      MINERS.map(async (miner, index) => {
        const minerApp = running[index];
        if (!minerApp) throw new Error('demo miner not running');
        const started = performance.now();
        const response = await fetch(`http://127.0.0.1:${minerApp.port}/tasks/${taskType}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request),
        });
        const latencyMs = performance.now() - started;
        const payload: ScoreResponsePayload = {
          responseId: `${id}-uid${miner.uid}`,
          taskId: id,
          taskType,
          purpose,
          minerUid: miner.uid,
          minerHotkey: miner.hotkey,
          request,
          response: response.ok ? await response.json() : null,
          latencyMs,
          ...(response.ok ? {} : { error: `HTTP ${response.status}` }),
        };
        await producer.add(JobName.ScoreResponse, payload, { jobId: payload.responseId });
        jobsSent++;
      }),
    );
  }

  beforeAll(async () => {
    schema = await createTestSchema(inject('databaseUrl'), 'scoring_e2e');
    for (const miner of MINERS) {
      running.push(
        await startApp('demo-miner', {
          env: { DEMO_MINER_ERROR_RATE: miner.errorRate, DEMO_MINER_SEED: miner.seed },
        }),
      );
    }
    sidecar = await NestFactory.createMicroservice(FakeSidecarModule, {
      ...createRpcMicroserviceOptions(redisUrl, prefix),
      logger: false,
    });
    await sidecar.listen();
    const scoring = await startApp('scoring', {
      env: {
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        DATABASE_URL: inject('databaseUrl'),
        DATABASE_SCHEMA: schema.schema,
        DATABASE_MIGRATE_ON_START: 'true',
        NETUID: String(NETUID),
        SCORING_IDENTITY: 'sn1',
        SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=1,summarization=1',
        SCORING_DROPOUT_MAX: String(DROPOUT_MAX),
        SCORING_ORGANIC_SPOT_CHECK: '0',
        METRICS_TOKEN,
      },
    });
    running.push(scoring);
    scoringUrl = `http://127.0.0.1:${scoring.port}`;
    rpc = createRpcClient({ redisUrl, prefix, timeoutMs: 5_000 });
    producer = new JobProducer({ redisUrl, prefix });
    weightsQueue = new Queue(QueueName.Weights, { connection: { url: redisUrl }, prefix });
  }, 120_000);

  afterAll(async () => {
    await weightsQueue.close();
    await producer.close();
    await rpc.close();
    await sidecar.close();
    for (const app of running.reverse()) await app.stop();
    await schema.drop();
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
  });

  it('ranks the demo miners in order of quality once their answers are scored', async () => {
    const random = mulberry32(2026);
    for (let index = 0; index < ARITHMETIC_ROUNDS; index++) {
      await round(
        TaskTypeName.Arithmetic,
        taskTypes.get(TaskTypeName.Arithmetic).generate(random),
        `add-${index}`,
      );
      if (index % 4 === 0) {
        const request = taskTypes.get(TaskTypeName.Summarization).generate(random);
        await round(TaskTypeName.Summarization, request, `sum-${index}`);
      }
    }
    // An organic answer: with no spot checks configured, it is recorded unscored.
    await round(TaskTypeName.Arithmetic, { operation: 'add', a: '1', b: '2' }, 'organic-0', 'organic');
    const perMiner = ARITHMETIC_ROUNDS + SUMMARIZATION_ROUNDS + 1;
    expect(jobsSent).toBe(perMiner * MINERS.length);

    const leaderboard = await vi.waitFor(
      async () => {
        const body = await leaderboardNow();
        const counted = body.miners.reduce((sum, miner) => sum + miner.scored + miner.unscored, 0);
        expect(counted).toBe(jobsSent);
        return body;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(leaderboard.miners.map(({ rank, uid, hotkey }) => ({ rank, uid, hotkey }))).toEqual(
      MINERS.map(({ uid, hotkey }, index) => ({ rank: index + 1, uid, hotkey })),
    );
    const [best, fair, poor] = leaderboard.miners;
    expect(best?.score).toBeGreaterThan(fair?.score ?? 1);
    expect(fair?.score).toBeGreaterThan(poor?.score ?? 1);
    // The dropout cap: the first DROPOUT_MAX responses of each miner scored, the rest recorded unscored.
    for (const miner of leaderboard.miners) {
      expect(miner).toMatchObject({ scored: DROPOUT_MAX, unscored: perMiner - DROPOUT_MAX });
      expect(Object.keys(miner.taskTypes).sort()).toEqual(['arithmetic', 'summarization']);
    }
  });

  it('does nothing with a response delivered again', async () => {
    const before = await leaderboardNow();
    const again: ScoreResponsePayload = {
      responseId: 'add-0-uid3',
      taskId: 'add-0',
      taskType: TaskTypeName.Arithmetic,
      purpose: 'synthetic',
      minerUid: 3,
      minerHotkey: MINERS[2].hotkey,
      request: { operation: 'add', a: '1', b: '1' },
      response: { result: '2' },
      latencyMs: 1,
    };
    await producer.add(JobName.ScoreResponse, again, { jobId: 'add-0-uid3-redelivered' });
    const metric = `${MetricName.scoringResponsesTotal}{task_type="arithmetic",outcome="duplicate"} 1`;
    await vi.waitFor(
      async () => {
        expect(await metricsNow()).toContain(metric);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(await leaderboardNow()).toEqual(before);
  });

  it("shows a miner's recent records and scores by task type, and refuses bad or unknown uids", async () => {
    const miner = await get('/miners/1?limit=5');
    expect(miner.status).toBe(200);
    const body = miner.body as MinerView;
    expect(body).toMatchObject({ uid: 1, hotkey: MINERS[0].hotkey, scored: DROPOUT_MAX });
    expect(body.records).toHaveLength(5);
    expect(body.records[0]).toMatchObject({
      taskId: 'organic-0',
      purpose: 'organic',
      unscoredReason: 'not_sampled',
    });
    expect(body.taskTypes['arithmetic']?.score).toBeGreaterThan(0.5);
    expect(await get('/miners/42')).toMatchObject({
      status: 404,
      body: { error: { code: 'scoring_miner_not_found' } },
    });
    expect(await get('/miners/miner-one')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request' } },
    });
    expect(await get('/scores?taskType=poetry')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request' } },
    });
  });

  it('sends weights in the order of the leaderboard when the sidecar announces an epoch, once per epoch', async () => {
    await rpc.emit('chain.epoch.new', { netuid: NETUID, epoch: 9, block: 900 });
    const job = await vi.waitFor(
      async () => {
        const found = await weightsQueue.getJob('weights-1-9');
        expect(found).toBeDefined();
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(job?.name).toBe(JobName.SetWeights);
    expect(job?.data).toMatchObject({ netuid: NETUID, epoch: 9, identity: 'sn1' });
    const weights = (job?.data as { weights: Record<string, number> }).weights;
    const [best, fair, poor] = MINERS.map((miner) => weights[miner.hotkey] ?? 0);
    expect(best).toBe(65_535);
    expect(best).toBeGreaterThan(fair ?? 0);
    expect(fair).toBeGreaterThan(poor ?? 0);
    expect(weights[VALIDATOR]).toBeUndefined();

    // The same event again adds nothing; the next epoch adds its own job.
    await rpc.emit('chain.epoch.new', { netuid: NETUID, epoch: 9, block: 900 });
    await rpc.emit('chain.epoch.new', { netuid: NETUID + 1, epoch: 10, block: 1_000 });
    await rpc.emit('chain.epoch.new', { netuid: NETUID, epoch: 10, block: 1_000 });
    await vi.waitFor(
      async () => {
        expect(await weightsQueue.getJob('weights-1-10')).toBeDefined();
      },
      { timeout: 10_000, interval: 100 },
    );
    const ids = (await weightsQueue.getJobs(['waiting', 'delayed', 'prioritized'])).map(
      (queued) => queued.id,
    );
    expect(ids.sort()).toEqual(['weights-1-10', 'weights-1-9']);
    expect(await metricsNow()).toContain(`${MetricName.scoringWeightsJobsTotal}{netuid="1"} 3`);
  });

  it('answers scores.weights with the vector it would set now, normalised, and scores.miners per task type', async () => {
    const { weights } = await rpc.send('scores.weights', { netuid: NETUID });
    const shares = MINERS.map((miner) => weights[miner.hotkey] ?? 0);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 9);
    expect(shares[0]).toBeGreaterThan(shares[1] ?? 0);
    expect(shares[1]).toBeGreaterThan(shares[2] ?? 0);
    const { scores } = await rpc.send('scores.miners', { netuid: NETUID, taskType: TaskTypeName.Arithmetic });
    expect(scores.map(({ uid }) => uid).sort()).toEqual([1, 2, 3]);
    const scoreOf = (uid: number) => scores.find((entry) => entry.uid === uid)?.score ?? 0;
    expect(scoreOf(1)).toBeGreaterThan(scoreOf(2));
    expect(scoreOf(2)).toBeGreaterThan(scoreOf(3));
  });
});
