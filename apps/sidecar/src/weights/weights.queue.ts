import {
  createRedisConnection,
  JobName,
  JobProducer,
  type QueueConnectionOptions,
  type QueueLogger,
  QueueName,
  type SetWeightsPayload,
} from '@vstack/queues';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WeightsJobRecord } from './weights-job.entity';

/** What became of an unfinished job's BullMQ job when the sidecar started. */
export type QueuedState = 'present' | 'added' | 'added-again';

/** The weights queue as the weights jobs use it; an interface so the service can be tested without Redis. */
export interface WeightsQueue {
  /** Adds the job's BullMQ job, whose id is the job's id. */
  enqueue(job: WeightsJobRecord): Promise<void>;
  /**
   * Makes sure an unfinished job will run: adds its BullMQ job when there is none, or again when BullMQ already
   * finished with it (the process stopped mid-run); leaves a waiting, delayed or active one alone.
   */
  ensureQueued(job: WeightsJobRecord): Promise<QueuedState>;
  close(): Promise<void>;
}

/** The queue payload of a stored job. */
export function payloadOf(job: WeightsJobRecord): SetWeightsPayload {
  return {
    netuid: job.netuid,
    epoch: job.epoch,
    weights: job.weights,
    ...(job.identity === '' ? {} : { identity: job.identity }),
  };
}

/** The weights queue on BullMQ: adds through the stack's producer, inspects through a Queue. */
export class BullWeightsQueue implements WeightsQueue {
  readonly #producer: JobProducer;
  readonly #connection: Redis;
  readonly #queue: Queue;

  constructor(connection: QueueConnectionOptions, logger: QueueLogger) {
    this.#producer = new JobProducer(connection, logger);
    this.#connection = createRedisConnection(connection.redisUrl, 'producer');
    this.#connection.on('error', (error: Error) => {
      logger.error('weights queue Redis error', { error });
    });
    this.#queue = new Queue(QueueName.Weights, { connection: this.#connection, prefix: connection.prefix });
    this.#queue.on('error', () => undefined);
  }

  async enqueue(job: WeightsJobRecord): Promise<void> {
    await this.#producer.add(JobName.SetWeights, payloadOf(job), { jobId: job.id });
  }

  async ensureQueued(job: WeightsJobRecord): Promise<QueuedState> {
    const state = await this.#queue.getJobState(job.id);
    if (state === 'unknown') {
      await this.enqueue(job);
      return 'added';
    }
    if (state === 'completed' || state === 'failed') {
      await this.#queue.remove(job.id);
      await this.enqueue(job);
      return 'added-again';
    }
    return 'present';
  }

  async close(): Promise<void> {
    await this.#queue.close();
    await this.#connection.quit();
    await this.#producer.close();
  }
}
