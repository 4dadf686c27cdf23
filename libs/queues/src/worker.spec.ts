import { currentCorrelationId } from '@vstack/observability';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { QueueConnectionOptions } from './connection';
import { QueueError, QueueErrorCode } from './errors';
import { type JobContext, JobHandlerRegistry, OnJob } from './handlers';
import { JobName, type OrganicTaskPayload, QueueName, type SyntheticTaskPayload } from './jobs';
import { JobProducer } from './producer';
import { gate } from './test-support';
import type { QueueLogger } from './logger';
import { JobWorker, type JobWorkerOptions } from './worker';

const redisUrl = inject('redisUrl');
const filePrefix = uniqueTestName('queues worker');
let testNumber = 0;
const closers: (() => Promise<void>)[] = [];

/** A fresh BullMQ prefix per test, so tests never see each other's jobs. */
function connection(): QueueConnectionOptions {
  testNumber += 1;
  return { redisUrl, prefix: `${filePrefix}_${testNumber}` };
}

function producerFor(options: QueueConnectionOptions): JobProducer {
  const producer = new JobProducer(options);
  closers.push(() => producer.close());
  return producer;
}

function queueFor(options: QueueConnectionOptions, name: QueueName): Queue {
  const queue = new Queue(name, { connection: { url: redisUrl }, prefix: options.prefix });
  closers.push(() => queue.close());
  return queue;
}

const warnings: string[] = [];
const logger: QueueLogger = {
  warn: (message, context) => warnings.push(`${message} ${JSON.stringify(context)}`),
  error: (message, context) => warnings.push(`${message} ${String(context['error'])}`),
};

async function startWorker(options: Omit<JobWorkerOptions, 'logger'>): Promise<JobWorker> {
  const worker = new JobWorker({ ...options, logger });
  closers.push(() => worker.close());
  await worker.start();
  return worker;
}

function organicTask(
  taskId: string,
  priority: OrganicTaskPayload['priority'] = 'normal',
): OrganicTaskPayload {
  return {
    taskId,
    taskType: 'text',
    request: { prompt: taskId },
    priority,
    submittedAt: new Date().toISOString(),
  };
}

function syntheticTask(taskId: string): SyntheticTaskPayload {
  return { taskId, taskType: 'text', request: { prompt: taskId }, createdAt: new Date().toISOString() };
}

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await deleteRedisKeysWithPrefix(redisUrl, filePrefix);
});

describe('JobWorker', () => {
  it('delivers a typed payload to the @OnJob handler, inside the job id as correlation id', async () => {
    class TaskProcessor {
      readonly handled: {
        payload: OrganicTaskPayload;
        job: JobContext;
        correlationId: string | undefined;
      }[] = [];

      @OnJob(JobName.OrganicTask)
      async run(payload: OrganicTaskPayload, job: JobContext<JobName.OrganicTask>): Promise<void> {
        await Promise.resolve();
        this.handled.push({ payload, job, correlationId: currentCorrelationId() });
      }
    }
    const options = connection();
    const processor = new TaskProcessor();
    await startWorker({
      queue: QueueName.OrganicTasks,
      handlers: new JobHandlerRegistry().registerFrom(processor),
      connection: options,
    });
    const payload = organicTask('task-1', 'high');
    await producerFor(options).add(JobName.OrganicTask, payload, { jobId: 'task-1' });

    await vi.waitFor(() => {
      expect(processor.handled).toHaveLength(1);
    });
    expect(processor.handled[0]).toEqual({
      payload,
      job: { id: 'task-1', name: JobName.OrganicTask, queue: QueueName.OrganicTasks, attempt: 1 },
      correlationId: 'task-1',
    });
    await vi.waitFor(async () => {
      expect(await queueFor(options, QueueName.OrganicTasks).getJobState('task-1')).toBe('completed');
    });
  });

  it('takes urgent tasks first and low ones last', async () => {
    const options = connection();
    const producer = producerFor(options);
    for (const priority of ['low', 'normal', 'urgent', 'high'] as const) {
      await producer.add(JobName.OrganicTask, organicTask(`task-${priority}`, priority), {
        jobId: `task-${priority}`,
      });
    }
    const order: string[] = [];
    await startWorker({
      queue: QueueName.OrganicTasks,
      handlers: new JobHandlerRegistry().register(JobName.OrganicTask, (payload) => {
        order.push(payload.priority);
      }),
      connection: options,
    });
    await vi.waitFor(() => {
      expect(order).toEqual(['urgent', 'high', 'normal', 'low']);
    });
  });

  it('fails an invalid payload at once, without retries and without calling the handler', async () => {
    const options = connection();
    const handler = vi.fn();
    await startWorker({
      queue: QueueName.SyntheticTasks,
      handlers: new JobHandlerRegistry().register(JobName.SyntheticTask, handler),
      connection: options,
    });
    // Written around the producer, as a stale or foreign producer would.
    const queue = queueFor(options, QueueName.SyntheticTasks);
    await queue.add(
      JobName.SyntheticTask,
      { taskId: 'bad-1', taskType: 'text', request: {} },
      {
        jobId: 'bad-1',
        attempts: 5,
        backoff: { type: 'fixed', delay: 10 },
      },
    );

    await vi.waitFor(async () => {
      expect(await queue.getJobState('bad-1')).toBe('failed');
    });
    const job = await queue.getJob('bad-1');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe(
      'invalid payload for job "synthetic.task" (id bad-1): createdAt: Invalid input: expected string, received undefined',
    );
    expect(handler).not.toHaveBeenCalled();
    expect(warnings.some((line) => line.startsWith('job failed') && line.includes('bad-1'))).toBe(true);
  });

  it('retries a job whose handler throws, with the attempt number in the context', async () => {
    const options = connection();
    const attempts: number[] = [];
    await startWorker({
      queue: QueueName.SyntheticTasks,
      handlers: new JobHandlerRegistry().register(JobName.SyntheticTask, (_payload, job) => {
        attempts.push(job.attempt);
        if (job.attempt === 1) throw new Error('miner timed out');
      }),
      connection: options,
    });
    await producerFor(options).add(JobName.SyntheticTask, syntheticTask('s-1'), { jobId: 's-1' });
    await vi.waitFor(
      async () => {
        expect(await queueFor(options, QueueName.SyntheticTasks).getJobState('s-1')).toBe('completed');
      },
      { timeout: 5_000 },
    );
    expect(attempts).toEqual([1, 2]);
  });

  it('reports job runs by outcome and the queue depth by state in the registry it is given', async () => {
    const options = connection();
    const registry = new Registry();
    const held = gate();
    await startWorker({
      queue: QueueName.SyntheticTasks,
      handlers: new JobHandlerRegistry().register(JobName.SyntheticTask, async (payload, job) => {
        if (payload.taskId === 'flaky' && job.attempt === 1) throw new Error('miner timed out');
        if (payload.taskId === 'broken') throw new Error('miner down');
        if (payload.taskId === 'held') await held.promise;
      }),
      connection: options,
      metrics: registry,
      concurrency: 4,
    });
    const producer = producerFor(options);
    for (const id of ['ok', 'flaky', 'broken', 'held']) {
      await producer.add(JobName.SyntheticTask, syntheticTask(id), { jobId: id });
    }
    await queueFor(options, QueueName.SyntheticTasks).add(
      JobName.SyntheticTask,
      { taskId: 'bad', taskType: 'text', request: {} },
      { jobId: 'bad' },
    );
    const queue = queueFor(options, QueueName.SyntheticTasks);
    await vi.waitFor(
      async () => {
        expect(await queue.getJobState('broken')).toBe('failed');
        expect(await queue.getJobState('flaky')).toBe('completed');
        expect(await queue.getJobState('bad')).toBe('failed');
      },
      { timeout: 10_000 },
    );

    const runs = async (): Promise<Record<string, number>> => {
      const metric = await registry.getSingleMetric('vstack_queue_job_runs_total')?.get();
      const entries: [string, number][] = (metric?.values ?? []).map((value) => [
        String(value.labels['outcome']),
        value.value,
      ]);
      return Object.fromEntries(entries);
    };
    // ok and flaky's second run completed; flaky's first and broken's first were retried; broken's second failed.
    expect(await runs()).toEqual({ completed: 2, retried: 2, failed: 1, invalid: 1 });

    const text = await registry.metrics();
    expect(text).toContain('vstack_queue_jobs{queue="synthetic-tasks",state="active"} 1');
    expect(text).toContain('vstack_queue_jobs{queue="synthetic-tasks",state="failed"} 2');
    expect(text).toContain('vstack_queue_jobs{queue="synthetic-tasks",state="waiting"} 0');
    expect(text).toMatch(
      /vstack_queue_job_run_duration_seconds_count\{queue="synthetic-tasks",job="synthetic.task",outcome="completed"\} 2/,
    );
    held.release();
  });

  it('runs a job once however often its id is submitted, before and after it completes', async () => {
    const options = connection();
    const producer = producerFor(options);
    const handled: string[] = [];
    await startWorker({
      queue: QueueName.Scoring,
      handlers: new JobHandlerRegistry().register(JobName.ScoreResponse, (payload) => {
        handled.push(payload.responseId);
      }),
      connection: options,
    });
    const payload = {
      responseId: 'r-1',
      taskId: 't-1',
      taskType: 'text',
      purpose: 'synthetic',
      minerUid: 3,
      minerHotkey: '5F...',
      request: { prompt: 'hello' },
      response: { text: 'hi' },
      latencyMs: 250,
    } as const;
    await producer.add(JobName.ScoreResponse, payload, { jobId: 'r-1' });
    await producer.add(JobName.ScoreResponse, payload, { jobId: 'r-1' });
    const queue = queueFor(options, QueueName.Scoring);
    await vi.waitFor(async () => {
      expect(await queue.getJobState('r-1')).toBe('completed');
    });
    await producer.add(JobName.ScoreResponse, payload, { jobId: 'r-1' });
    await producer.add(JobName.ScoreResponse, { ...payload, responseId: 'r-2' }, { jobId: 'r-2' });
    await vi.waitFor(() => {
      expect(handled).toEqual(['r-1', 'r-2']);
    });
  });

  it('refuses to start when a job of its queue has no handler', async () => {
    const worker = new JobWorker({
      queue: QueueName.Weights,
      handlers: new JobHandlerRegistry().register(JobName.ScoreResponse, () => undefined),
      connection: connection(),
      logger,
    });
    const error: unknown = await worker.start().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(QueueError);
    expect((error as QueueError).code).toBe(QueueErrorCode.HandlerRegistration);
    expect((error as QueueError).message).toBe(
      'worker for queue "weights" cannot start: job "weights.set" has no handler',
    );
    await worker.close();
  });

  it('refuses to start when a job of its queue has two handlers', async () => {
    const worker = new JobWorker({
      queue: QueueName.Weights,
      handlers: new JobHandlerRegistry()
        .register(JobName.SetWeights, function setWeights() {})
        .register(JobName.SetWeights, function setWeightsAgain() {}),
      connection: connection(),
      logger,
    });
    await expect(worker.start()).rejects.toThrow(
      'worker for queue "weights" cannot start: job "weights.set" has 2 handlers (setWeights, setWeightsAgain)',
    );
    await worker.close();
  });

  it('closes gracefully: takes no new job and waits for the one in hand', async () => {
    const options = connection();
    const producer = producerFor(options);
    const inHand = gate();
    const started: string[] = [];
    const worker = await startWorker({
      queue: QueueName.SyntheticTasks,
      handlers: new JobHandlerRegistry().register(JobName.SyntheticTask, async (payload) => {
        started.push(payload.taskId);
        await inHand.promise;
      }),
      connection: options,
    });
    await producer.add(JobName.SyntheticTask, syntheticTask('s-1'), { jobId: 's-1' });
    await vi.waitFor(() => {
      expect(started).toEqual(['s-1']);
    });

    let closed = false;
    const closing = worker.close().then(() => {
      closed = true;
    });
    await producer.add(JobName.SyntheticTask, syntheticTask('s-2'), { jobId: 's-2' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);

    inHand.release();
    await closing;
    const queue = queueFor(options, QueueName.SyntheticTasks);
    expect(await queue.getJobState('s-1')).toBe('completed');
    expect(await queue.getJobState('s-2')).toBe('waiting');
    expect(started).toEqual(['s-1']);
  });
});
