import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createRedisConnection,
  JobName,
  JobProducer,
  type QueueConnectionOptions,
  type QueueLogger,
  QueueName,
  type SyntheticTaskPayload,
} from '@vstack/queues';
import type { SyntheticQueue } from '../ports';

/** The synthetic-tasks queue in Redis: its depth read from BullMQ, tasks added through the job producer. */
export class BullSyntheticQueue implements SyntheticQueue {
  private readonly jobs: JobProducer;
  private readonly connection: Redis;
  private readonly queue: Queue;

  constructor(options: QueueConnectionOptions, logger?: QueueLogger) {
    this.jobs = new JobProducer(options, logger);
    this.connection = createRedisConnection(options.redisUrl, 'producer');
    // The producer's connection logs Redis errors; the calls that fail say so themselves.
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QueueName.SyntheticTasks, { connection: this.connection, prefix: options.prefix });
    this.queue.on('error', () => undefined);
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('wait', 'prioritized', 'delayed');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async add(task: SyntheticTaskPayload): Promise<void> {
    await this.jobs.add(JobName.SyntheticTask, task, { jobId: task.taskId });
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.connection.quit();
    await this.jobs.close();
  }
}
