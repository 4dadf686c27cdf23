import type { INestMicroservice } from '@nestjs/common';
import { loadHotkey } from '@vstack/chain';
import { createRpcClient, type RpcClient, type SelectedMiner } from '@vstack/contracts';
import { freePort } from '@vstack/local-infra';
import { mulberry32, summarizationTaskType } from '@vstack/protocol';
import {
  JobName,
  JobProducer,
  type OrganicResultPayload,
  type OrganicTaskPayload,
  QueueName,
  type ScoreResponsePayload,
} from '@vstack/queues';
import {
  buildApp,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  type RunningDevnet,
  startApp,
  startDevnet,
  uniqueTestName,
} from '@vstack/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeStack, startFakeServices } from './fake-services';
import { type KillableApp, spawnValidator } from './processes';

async function until<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface MinerSetup {
  name: string;
  hotkey: string;
  uid: number;
  env: Record<string, string>;
}

// Real processes: the devnet (the metagraph the miner proxies check the validator's hotkey against), demo miners
// behind miner proxies, and the built validator signing as //Alice; managing and scoring are fakes answering on
// the real Redis transport, and the queues are real BullMQ queues in Redis.
describe('validator end to end', () => {
  const redisUrl = inject('redisUrl');
  const prefix = uniqueTestName('validator_e2e');
  const stack = new FakeStack();
  const setups: MinerSetup[] = [
    { name: 'fast', hotkey: '//Dave', uid: 3, env: {} },
    { name: 'second', hotkey: '//Eve', uid: 4, env: {} },
    { name: 'failing', hotkey: '//Ferdie', uid: 5, env: { DEMO_MINER_FAILURE_RATE: '1' } },
    { name: 'slow', hotkey: '//Miner1', uid: 6, env: { DEMO_MINER_LATENCY_MS: '1200' } },
  ];
  const miners = new Map<string, SelectedMiner>();
  const running: RunningApp[] = [];
  let devnet: RunningDevnet;
  let fakes: INestMicroservice;
  let producer: JobProducer;
  let rpc: RpcClient;
  const queues = new Map<QueueName, Queue>();
  let validatorEnv: Record<string, string>;

  const queue = (name: QueueName): Queue => {
    let found = queues.get(name);
    if (!found) {
      found = new Queue(name, { connection: { url: redisUrl }, prefix });
      queues.set(name, found);
    }
    return found;
  };
  const miner = (name: string): SelectedMiner => {
    const found = miners.get(name);
    if (!found) throw new Error(`no miner ${name}`);
    return found;
  };
  const resultOf = async (taskId: string) =>
    (await queue(QueueName.OrganicResults).getJob(taskId))?.data as OrganicResultPayload | undefined;
  const scoreJobsOf = async (taskId: string) =>
    (await queue(QueueName.Scoring).getJobs(['wait']))
      .map((job) => job.data as ScoreResponsePayload)
      .filter((job) => job.taskId === taskId)
      .sort((a, b) => a.minerUid - b.minerUid);
  let taskCounter = 0;
  const submit = async (task: Partial<OrganicTaskPayload> = {}): Promise<string> => {
    taskCounter += 1;
    const taskId = `org-${taskCounter}-${Date.now()}`;
    await producer.add(
      JobName.OrganicTask,
      {
        taskId,
        taskType: 'arithmetic',
        request: { operation: 'add', a: '40', b: '2' },
        priority: 'normal',
        submittedAt: new Date().toISOString(),
        ...task,
      },
      { jobId: taskId },
    );
    return taskId;
  };

  beforeAll(async () => {
    for (const name of ['devnet', 'demo-miner', 'miner-proxy', 'validator']) buildApp(name);
    devnet = await startDevnet({ blockTimeMs: 0 });
    await Promise.all(
      setups.map(async (setup) => {
        const demo = await startApp('demo-miner', { env: setup.env });
        running.push(demo);
        const proxy = await startApp('miner-proxy', {
          env: {
            REDIS_URL: redisUrl,
            REDIS_PREFIX: `${prefix}_proxy_${setup.name}`,
            MINER_HOTKEY: setup.hotkey,
            NETUID: '1',
            SUBTENSOR_URL: devnet.url,
            INFERENCE_SERVER_URL: `http://127.0.0.1:${demo.port}`,
            RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
            SIGN_RESPONSES: setup.name === 'fast' ? 'true' : 'false',
          },
          ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
        });
        running.push(proxy);
        const pair = await loadHotkey({ kind: 'uri', uri: setup.hotkey });
        miners.set(setup.name, {
          uid: setup.uid,
          hotkey: pair.address,
          axon: { ip: '127.0.0.1', port: proxy.port, protocol: 4 },
        });
      }),
    );
    stack.miners = ['fast', 'second', 'failing', 'slow'].map(miner);
    fakes = await startFakeServices(redisUrl, prefix, stack);
    producer = new JobProducer({ redisUrl, prefix });
    rpc = createRpcClient({ redisUrl, prefix });
    validatorEnv = {
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      NETUID: '1',
      VALIDATOR_HOTKEY: '//Alice',
      VALIDATOR_HEDGE_DELAY_SHARE: '0.25',
      VALIDATOR_ORGANIC_SCORING_SHARE: '1',
      VALIDATOR_ORGANIC_SAMPLE_SHARE: '1',
      VALIDATOR_WEIGHTS_IDENTITY: 'sn1',
      SHUTDOWN_TIMEOUT_MS: '5000',
    };
  }, 240_000);

  afterAll(async () => {
    await producer.close();
    await rpc.close();
    for (const opened of queues.values()) await opened.close();
    await fakes.close();
    for (const app of running.reverse()) await app.stop();
    await devnet.stop();
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
  });

  describe('with one validator running', () => {
    let validator: RunningApp;

    beforeAll(async () => {
      validator = await startApp('validator', { env: validatorEnv });
    }, 60_000);

    afterAll(async () => {
      await validator.stop();
    });

    // The fast miner's proxy signs its answers: a signature the validator refused would fail over to uid 4.
    it("answers an organic task with a miner's Epistula-verified answer, reports it and samples it", async () => {
      stack.miners = ['fast', 'second', 'failing', 'slow'].map(miner);
      const taskId = await submit();
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
      );
      expect(result).toMatchObject({
        taskId,
        taskType: 'arithmetic',
        status: 'completed',
        result: { result: '42' },
        minerUid: 3,
        minerHotkey: miner('fast').hotkey,
        attempts: 1,
      });
      await until(
        () => stack.stagesOf(taskId),
        (stages) => stages.includes('miner_answered:3'),
      );
      expect(stack.stagesOf(taskId)).toEqual(['processing', 'miner_selected:3', 'miner_answered:3']);
      await until(
        () => stack.reportsOf(3).length,
        (count) => count >= 1,
      );
      expect(stack.reportsOf(3)[0]).toMatchObject({ hotkey: miner('fast').hotkey, ok: true });
      const scored = await until(
        () => scoreJobsOf(taskId),
        (jobs) => jobs.length === 1,
      );
      expect(scored[0]).toMatchObject({
        responseId: `${taskId}.3`,
        purpose: 'organic',
        response: { result: '42' },
        request: { operation: 'add', a: '40', b: '2' },
      });
      const sample = await until(
        () => stack.samples.find((event) => JSON.stringify(event.request).includes('"40"')),
        (found) => found !== undefined,
      );
      expect(sample).toMatchObject({
        taskType: 'arithmetic',
        request: { operation: 'add', a: '40', b: '2' },
      });
      expect(JSON.stringify(sample)).not.toContain(taskId);
    });

    it('sends a synthetic task to three miners and every answer, the failure too, to scoring', async () => {
      stack.miners = ['fast', 'second', 'failing', 'slow'].map(miner);
      const taskId = `syn-e2e-${Date.now()}`;
      await producer.add(
        JobName.SyntheticTask,
        {
          taskId,
          taskType: 'arithmetic',
          request: { operation: 'multiply', a: '6', b: '7' },
          createdAt: new Date().toISOString(),
        },
        { jobId: taskId },
      );
      const scored = await until(
        () => scoreJobsOf(taskId),
        (jobs) => jobs.length === 3,
      );
      expect(scored.map((job) => [job.minerUid, job.purpose, job.response, job.error])).toEqual([
        [3, 'synthetic', { result: '42' }, undefined],
        [4, 'synthetic', { result: '42' }, undefined],
        [5, 'synthetic', null, expect.stringMatching(/^http_error: HTTP 500/)],
      ]);
      expect(stack.selections.at(-1)).toEqual({ taskType: 'arithmetic', count: 3, purpose: 'synthetic' });
    });

    it('hedges to a second miner when the first is slow, and takes the faster answer', async () => {
      stack.miners = ['slow', 'fast'].map(miner);
      const taskId = await submit({ request: { operation: 'add', a: '1', b: '1' } });
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
      );
      expect(result).toMatchObject({
        status: 'completed',
        result: { result: '2' },
        minerUid: 3,
        attempts: 2,
      });
      expect(stack.stagesOf(taskId)).toEqual([
        'processing',
        'miner_selected:6',
        'hedged:3',
        'miner_answered:3',
      ]);
    });

    it('retries on another miner when the first fails', async () => {
      stack.miners = ['failing', 'second'].map(miner);
      const taskId = await submit();
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
      );
      expect(result).toMatchObject({ status: 'completed', minerUid: 4, attempts: 2 });
      const stages = stack.stagesOf(taskId);
      expect(stages).toEqual(['processing', 'miner_selected:5', 'retrying:4', 'miner_answered:4']);
      expect(
        stack.progress.find((event) => event.taskId === taskId && event.stage === 'retrying')?.detail,
      ).toMatch(/^uid 5 http_error: HTTP 500/);
      await until(() => stack.reportsOf(5).some((report) => !report.ok), Boolean);
    });

    it('fails the task after three miners, telling the caller why', async () => {
      stack.miners = ['failing'].map(miner);
      const taskId = await submit();
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
      );
      expect(result).toMatchObject({ status: 'failed', attempts: 1 });
      expect(result?.error).toMatch(/^no valid answer from 1 miner\(s\): uid 5 http_error: HTTP 500/);
    });

    it('relays a streamed chat completion as chunks ending with [DONE]', async () => {
      stack.miners = ['second'].map(miner);
      const taskId = await submit({
        taskType: 'text-generation',
        request: {
          model: 'vstack-reference',
          messages: [{ role: 'user', content: 'Write a letter from a fox to a river.' }],
          max_tokens: 16,
          stream: true,
        },
      });
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
      );
      expect(result?.status).toBe('completed');
      const chunks = await until(
        () => stack.chunks.filter((chunk) => chunk.taskId === taskId),
        (found) => found.some((chunk) => chunk.done),
      );
      expect(chunks.map((chunk) => [chunk.index, chunk.done])).toEqual([
        [0, false],
        [1, true],
      ]);
      const content = (result?.result as { choices: { message: { content: string } }[] }).choices[0]?.message
        .content;
      expect(JSON.parse(chunks[0]?.data ?? '{}')).toMatchObject({
        object: 'chat.completion.chunk',
        choices: [{ delta: { content } }],
      });
      expect(chunks[1]?.data).toBe('[DONE]');
    });

    it("enqueues scoring's weight vector once per epoch, asking again when scoring fails", async () => {
      const weights = { [miner('fast').hotkey]: 0.6, [miner('second').hotkey]: 0.4 };
      stack.weightsAnswers = [new Error('scoring is busy'), weights];
      await rpc.emit('chain.epoch.new', { netuid: 1, epoch: 7, block: 427 });
      await rpc.emit('chain.epoch.new', { netuid: 2, epoch: 7, block: 427 });
      const job = await until(
        () => queue(QueueName.Weights).getJob('weights-1-7'),
        (found) => found !== undefined,
      );
      expect(job?.name).toBe('weights.set');
      expect(job?.data).toEqual({ netuid: 1, epoch: 7, weights, identity: 'sn1' });
      await rpc.emit('chain.epoch.new', { netuid: 1, epoch: 7, block: 427 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await queue(QueueName.Weights).getJobCounts('wait')).toEqual({ wait: 1 });
      expect(await queue(QueueName.Weights).getJob('weights-2-7')).toBeUndefined();
      expect(new Set(stack.weightsAsked)).toEqual(new Set([1]));
    });
  });

  describe('killed mid-task', () => {
    const summarization = summarizationTaskType.generate(mulberry32(11));
    const killed: KillableApp[] = [];

    afterAll(async () => {
      for (const app of killed) await app.kill();
    });

    async function killAt(
      stage: string,
    ): Promise<{ taskId: string; result: OrganicResultPayload | undefined }> {
      stack.miners = ['slow', 'second'].map(miner);
      const first = await spawnValidator(await freePort(), validatorEnv);
      killed.push(first);
      const taskId = await submit({ taskType: 'summarization', request: summarization });
      await until(
        () => stack.stagesOf(taskId),
        (stages) => stages.some((seen) => seen.startsWith(stage)),
      );
      await first.kill();
      const second = await spawnValidator(await freePort(), validatorEnv);
      killed.push(second);
      // The killed validator's lock expires (2 s) and the stalled check (1 s) gives the job to the new one.
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
        30_000,
      );
      await until(
        () => queue(QueueName.OrganicTasks).getJobState(taskId),
        (state) => state === 'completed',
      );
      await second.kill();
      return { taskId, result };
    }

    it('loses no task: another validator takes over a task whose validator was killed mid-call', async () => {
      const { taskId, result } = await killAt('miner_selected');
      expect(result).toMatchObject({ taskId, status: 'completed', minerUid: 6 });
      // The task ran twice: once in the killed validator, once in the one that took it over.
      expect(stack.stagesOf(taskId).filter((seen) => seen === 'processing')).toHaveLength(2);
      const results = (await queue(QueueName.OrganicResults).getJobs(['wait'])).filter(
        (job) => (job.data as OrganicResultPayload).taskId === taskId,
      );
      expect(results).toHaveLength(1);
    }, 60_000);

    it('answers the caller once when the validator was killed around publishing the result', async () => {
      const { taskId } = await killAt('miner_answered');
      const results = (await queue(QueueName.OrganicResults).getJobs(['wait'])).filter(
        (job) => (job.data as OrganicResultPayload).taskId === taskId,
      );
      expect(results.map((job) => job.id)).toEqual([taskId]);
    }, 60_000);
  });

  describe('stopping', () => {
    const summarization = summarizationTaskType.generate(mulberry32(12));
    const started: KillableApp[] = [];

    afterAll(async () => {
      for (const app of started) await app.kill();
    });

    it('finishes the task in hand on SIGTERM, then exits', async () => {
      stack.miners = ['slow'].map(miner);
      const validator = await spawnValidator(await freePort(), validatorEnv);
      started.push(validator);
      const taskId = await submit({ taskType: 'summarization', request: summarization });
      await until(
        () => stack.stagesOf(taskId),
        (stages) => stages.includes('miner_selected:6'),
      );
      const exitCode = await validator.terminate();
      expect(exitCode).toBe(0);
      expect(await resultOf(taskId)).toMatchObject({ status: 'completed', minerUid: 6, attempts: 1 });
    }, 30_000);

    it('gives the task back when it cannot finish within the shutdown budget, and another validator answers it', async () => {
      stack.miners = ['slow'].map(miner);
      // 1000 ms to stop: tasks still running after 750 ms are given back; the slow miner takes 1200 ms.
      const hurried = await spawnValidator(await freePort(), {
        ...validatorEnv,
        SHUTDOWN_TIMEOUT_MS: '1000',
      });
      started.push(hurried);
      const taskId = await submit({ taskType: 'summarization', request: summarization });
      await until(
        () => stack.stagesOf(taskId),
        (stages) => stages.includes('miner_selected:6'),
      );
      expect(await hurried.terminate()).toBe(0);
      expect(await resultOf(taskId)).toBeUndefined();
      expect(await queue(QueueName.OrganicTasks).getJobState(taskId)).toMatch(/^(delayed|waiting)$/);

      const next = await spawnValidator(await freePort(), validatorEnv);
      started.push(next);
      const result = await until(
        () => resultOf(taskId),
        (found) => found !== undefined,
      );
      expect(result).toMatchObject({ status: 'completed', minerUid: 6 });
      expect(stack.stagesOf(taskId).filter((stage) => stage === 'processing')).toHaveLength(2);
    }, 30_000);
  });
});
