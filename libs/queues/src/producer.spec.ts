import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { QueueError, QueueErrorCode } from './errors';
import { JobName, type OrganicTaskPayload, QueueName } from './jobs';
import { JobProducer } from './producer';
import { gate } from './test-support';

const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('queues producer');
const producer = new JobProducer({ redisUrl, prefix });
const organicQueue = new Queue(QueueName.OrganicTasks, { connection: { url: redisUrl }, prefix });

function organicTask(
  taskId: string,
  priority: OrganicTaskPayload['priority'] = 'normal',
): OrganicTaskPayload {
  return {
    taskId,
    taskType: 'text-generation',
    request: { prompt: 'hello' },
    priority,
    submittedAt: new Date().toISOString(),
  };
}

async function rejection(promise: Promise<unknown>): Promise<QueueError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof QueueError) return error;
    throw error;
  }
  throw new Error('expected a QueueError');
}

afterAll(async () => {
  await producer.close();
  await organicQueue.close();
  await deleteRedisKeysWithPrefix(redisUrl, `${prefix}:`);
});

describe('JobProducer', () => {
  it('adds a job to its queue under the caller id, with the catalogue options and priority', async () => {
    const added = await producer.add(JobName.OrganicTask, organicTask('task-1', 'urgent'), {
      jobId: 'task-1',
    });
    expect(added).toEqual({ queue: QueueName.OrganicTasks, name: JobName.OrganicTask, jobId: 'task-1' });
    const job = await organicQueue.getJob('task-1');
    expect(job?.name).toBe('organic.task');
    expect(job?.data).toMatchObject({ taskId: 'task-1', priority: 'urgent', request: { prompt: 'hello' } });
    expect(job?.priority).toBe(1);
    expect(job?.opts.attempts).toBe(3);
    expect(job?.opts.backoff).toEqual({ type: 'exponential', delay: 1000 });
  });

  it('adds a job only once per id, so re-submitting is a no-op', async () => {
    await producer.add(JobName.OrganicTask, organicTask('task-2', 'low'), { jobId: 'task-2' });
    await producer.add(JobName.OrganicTask, organicTask('task-2', 'high'), { jobId: 'task-2' });
    await producer.add(JobName.OrganicTask, organicTask('task-2', 'high'), { jobId: 'task-2' });
    const jobs = await organicQueue.getJobs(['prioritized', 'waiting']);
    expect(jobs.filter((job) => job.id === 'task-2')).toHaveLength(1);
    expect((await organicQueue.getJob('task-2'))?.data).toMatchObject({ priority: 'low' });
  });

  it('accepts only the payload of the job name, at compile time and at run time', async () => {
    const syntheticTask = {
      taskId: 's-1',
      taskType: 'text',
      request: {},
      createdAt: new Date().toISOString(),
    };
    // @ts-expect-error a synthetic task is not an organic task's payload
    const error = await rejection(producer.add(JobName.OrganicTask, syntheticTask, { jobId: 's-1' }));
    expect(error.code).toBe(QueueErrorCode.InvalidPayload);
    expect(error.message).toContain('invalid payload for job "organic.task" (id s-1): priority:');
    expect(error.message).toContain('submittedAt:');
    expect(await organicQueue.getJob('s-1')).toBeUndefined();
  });

  it('rejects a payload that has the right type but breaks the schema', async () => {
    const error = await rejection(producer.add(JobName.OrganicTask, organicTask(''), { jobId: 'task-3' }));
    expect(error.code).toBe(QueueErrorCode.InvalidPayload);
    expect(error.message).toContain('taskId:');
  });

  it('adds several jobs in one call, each with its priority, and adds none when one of them is invalid', async () => {
    const added = await producer.addMany(JobName.OrganicTask, [
      { payload: organicTask('many-1', 'urgent'), options: { jobId: 'many-1' } },
      { payload: organicTask('many-2', 'low'), options: { jobId: 'many-2' } },
    ]);
    expect(added.map((job) => job.jobId)).toEqual(['many-1', 'many-2']);
    expect((await organicQueue.getJob('many-1'))?.priority).toBe(1);
    expect((await organicQueue.getJob('many-2'))?.data).toMatchObject({ taskId: 'many-2', priority: 'low' });
    const error = await rejection(
      producer.addMany(JobName.OrganicTask, [
        { payload: organicTask('many-3'), options: { jobId: 'many-3' } },
        { payload: organicTask('many-4'), options: { jobId: 'many:4' } },
      ]),
    );
    expect(error.code).toBe(QueueErrorCode.InvalidJobId);
    expect(await organicQueue.getJob('many-3')).toBeUndefined();
  });

  it('rejects job ids BullMQ cannot use', async () => {
    for (const jobId of ['', '42', 'task:1']) {
      const error = await rejection(producer.add(JobName.OrganicTask, organicTask('t'), { jobId }));
      expect(error.code, jobId).toBe(QueueErrorCode.InvalidJobId);
    }
  });

  it('takes back a job no worker has taken, and leaves taken, finished and unknown jobs alone', async () => {
    const queueName = QueueName.OrganicTasks;
    const removalPrefix = `${prefix}_remove`;
    const remover = new JobProducer({ redisUrl, prefix: removalPrefix });
    const held = gate();
    const started = gate();
    const worker = new Worker(
      queueName,
      async (job) => {
        if (job.id === 'taken') {
          started.release();
          await held.promise;
        }
      },
      { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix: removalPrefix, autorun: false },
    );
    try {
      await remover.add(JobName.OrganicTask, organicTask('waiting', 'low'), { jobId: 'waiting' });
      expect(await remover.state(JobName.OrganicTask, 'waiting')).toBe('prioritized');
      expect(await remover.remove(JobName.OrganicTask, 'waiting')).toBe('removed');
      expect(await remover.state(JobName.OrganicTask, 'waiting')).toBe('unknown');
      expect(await remover.remove(JobName.OrganicTask, 'waiting')).toBe('missing');

      await remover.add(JobName.OrganicTask, organicTask('taken'), { jobId: 'taken' });
      void worker.run();
      await started.promise;
      expect(await remover.remove(JobName.OrganicTask, 'taken')).toBe('active');
      held.release();
      await vi.waitFor(async () => {
        expect(await remover.remove(JobName.OrganicTask, 'taken')).toBe('finished');
      });
    } finally {
      held.release();
      await worker.close();
      await remover.close();
      await deleteRedisKeysWithPrefix(redisUrl, `${removalPrefix}:`);
    }
  });
});
