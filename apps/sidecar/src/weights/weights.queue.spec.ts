import { JobName, QueueName } from '@vstack/queues';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WeightsJobRecord } from './weights-job.entity';
import { BullWeightsQueue, payloadOf } from './weights.queue';

// The weights queue adapter on a real Redis: what a restarted sidecar finds in BullMQ for its unfinished jobs.

const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('sidecar weights queue');
const silent = { warn: () => undefined, error: () => undefined };
let queue: BullWeightsQueue;
let inspect: Queue;

function record(id: string, identity = 'alice'): WeightsJobRecord {
  const now = new Date();
  return {
    id,
    identity,
    netuid: 1,
    epoch: 42,
    state: 'committed',
    source: 'api',
    mode: 'commit-reveal',
    weights: { '5Dave': 0.5 },
    count: 1,
    attempts: 1,
    txHash: null,
    block: null,
    commitHash: null,
    revealFromBlock: null,
    revealUntilBlock: null,
    revealTxHash: null,
    revealBlock: null,
    lastError: null,
    lastAttemptBlock: null,
    createdAt: now,
    updatedAt: now,
  };
}

beforeAll(() => {
  queue = new BullWeightsQueue({ redisUrl, prefix }, silent);
  inspect = new Queue(QueueName.Weights, { connection: { url: redisUrl }, prefix });
});

afterAll(async () => {
  await queue.close();
  await inspect.close();
  await deleteRedisKeysWithPrefix(redisUrl, prefix);
});

describe('BullWeightsQueue', () => {
  it('queues a job under the record id with the SetWeights payload', async () => {
    await queue.enqueue(record('alice-1-42-aaaa'));
    const job = await inspect.getJob('alice-1-42-aaaa');
    expect(job?.name).toBe(JobName.SetWeights);
    expect(job?.data).toEqual({ netuid: 1, epoch: 42, weights: { '5Dave': 0.5 }, identity: 'alice' });
  });

  it('leaves out an identity the job does not have', () => {
    expect(payloadOf(record('x', ''))).toEqual({ netuid: 1, epoch: 42, weights: { '5Dave': 0.5 } });
  });

  it('adds a missing job, leaves a waiting one, and adds again one BullMQ already finished', async () => {
    expect(await queue.ensureQueued(record('missing'))).toBe('added');
    expect(await inspect.getJobState('missing')).toBe('waiting');
    expect(await queue.ensureQueued(record('missing'))).toBe('present');

    // A worker finishes the job (as a process stopping mid-run would), the record still unfinished.
    const worker = new Worker(QueueName.Weights, () => Promise.resolve(), {
      connection: { url: redisUrl },
      prefix,
    });
    try {
      for (let tries = 0; tries < 100 && (await inspect.getJobState('missing')) !== 'completed'; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await inspect.getJobState('missing')).toBe('completed');
      await worker.pause();
      expect(await queue.ensureQueued(record('missing'))).toBe('added-again');
      expect(await inspect.getJobState('missing')).toBe('waiting');
    } finally {
      await worker.close(true);
    }
  });
});
