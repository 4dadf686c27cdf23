import { type JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisConnection, type QueueConnectionOptions } from './connection';
import { describeIssues, QueueError, QueueErrorCode } from './errors';
import { isJobName, jobDefinitions, type JobName, type JobOf, type QueueName } from './jobs';
import { consoleQueueLogger, type QueueLogger } from './logger';

/** Per-call options of `JobProducer.add`. */
export interface AddJobOptions {
  /**
   * The job's id, chosen by the caller from the domain (task id, response id, netuid + epoch). Adding a job
   * whose id is already in the queue is a no-op, which makes re-submission and re-delivery idempotent.
   */
  jobId: string;
  /** Wait this long before the job may run. */
  delayMs?: number;
}

/** A job that was added (or was already there with the same id). */
export interface AddedJob {
  queue: QueueName;
  name: JobName;
  jobId: string;
}

/** Checks a job id against BullMQ's rules; throws QueueError when it cannot be used. */
export function assertJobId(jobId: string): void {
  // BullMQ treats integer ids as its own counter's ids and uses ':' as its key separator.
  if (jobId === '' || /^-?\d+$/.test(jobId) || jobId.includes(':')) {
    throw new QueueError(
      QueueErrorCode.InvalidJobId,
      `job id "${jobId}" cannot be used: it must be non-empty, not a bare integer, and contain no ':'`,
    );
  }
}

/**
 * What `JobProducer.remove` did: `removed` from the queue before any worker took it, or left alone because a
 * worker holds it (`active`), it has already run (`finished`), or there is no such job (`missing`).
 */
export type RemoveJobOutcome = 'removed' | 'active' | 'finished' | 'missing';

/** Adds jobs to the queues; services depend on this so their tests can pass a fake. */
export interface JobSender {
  add<T extends JobName>(name: T, payload: JobOf<T>, options: AddJobOptions): Promise<AddedJob>;
}

/**
 * Adds jobs to the stack's queues. A payload must match its job name (checked by the compiler and again
 * against the job's schema), and the job's queue, options and priority come from the job catalogue.
 */
export class JobProducer implements JobSender {
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly options: QueueConnectionOptions,
    private readonly logger: QueueLogger = consoleQueueLogger,
  ) {
    this.connection = createRedisConnection(options.redisUrl, 'producer');
    this.connection.on('error', (error: Error) => {
      this.logger.error('queue producer Redis error', { error });
    });
  }

  /** Adds a job; resolves once Redis has it. Throws QueueError on an invalid payload or job id. */
  async add<T extends JobName>(name: T, payload: JobOf<T>, options: AddJobOptions): Promise<AddedJob> {
    const job = this.prepare(name, payload, options);
    await this.queue(job.queue).add(name, job.data, job.opts);
    return { queue: job.queue, name, jobId: options.jobId };
  }

  /**
   * Adds jobs of one name in one Redis round trip (a pipeline, not a transaction); resolves once Redis has them all.
   * Throws QueueError, adding none, when any payload or job id is invalid.
   */
  async addMany<T extends JobName>(
    name: T,
    jobs: readonly { payload: JobOf<T>; options: AddJobOptions }[],
  ): Promise<AddedJob[]> {
    const prepared = jobs.map((job) => this.prepare(name, job.payload, job.options));
    const [first] = prepared;
    if (!first) return [];
    await this.queue(first.queue).addBulk(prepared.map((job) => ({ name, data: job.data, opts: job.opts })));
    return jobs.map((job) => ({ queue: first.queue, name, jobId: job.options.jobId }));
  }

  private prepare<T extends JobName>(name: T, payload: JobOf<T>, options: AddJobOptions) {
    if (!isJobName(name)) {
      throw new QueueError(QueueErrorCode.UnknownJob, `"${String(name)}" is not a job name`);
    }
    assertJobId(options.jobId);
    const definition = jobDefinitions[name];
    const parsed = definition.schema.safeParse(payload);
    if (!parsed.success) {
      throw new QueueError(
        QueueErrorCode.InvalidPayload,
        `invalid payload for job "${name}" (id ${options.jobId}): ${describeIssues(parsed.error)}`,
        { cause: parsed.error },
      );
    }
    const priority = definition.priority?.(parsed.data);
    return {
      queue: definition.queue,
      data: parsed.data,
      opts: {
        ...definition.options,
        jobId: options.jobId,
        ...(priority === undefined ? {} : { priority }),
        ...(options.delayMs === undefined ? {} : { delay: options.delayMs }),
      },
    };
  }

  /** Where a job is in its queue (waiting, prioritized, active, completed, ...), or 'unknown' when it is not there. */
  async state(name: JobName, jobId: string): Promise<JobState | 'unknown'> {
    if (!isJobName(name)) {
      throw new QueueError(QueueErrorCode.UnknownJob, `"${String(name)}" is not a job name`);
    }
    assertJobId(jobId);
    return this.queue(jobDefinitions[name].queue).getJobState(jobId);
  }

  /**
   * Takes back a job that no worker has taken yet. A worker that takes it meanwhile holds its lock, and BullMQ
   * then refuses to remove it, so a job is never both removed and run.
   */
  async remove(name: JobName, jobId: string): Promise<RemoveJobOutcome> {
    const state = await this.state(name, jobId);
    const queue = this.queue(jobDefinitions[name].queue);
    switch (state) {
      case 'unknown':
        return 'missing';
      case 'active':
        return 'active';
      case 'completed':
      case 'failed':
        return 'finished';
      case 'waiting':
      case 'prioritized':
      case 'delayed':
      case 'waiting-children':
        return (await queue.remove(jobId)) === 1 ? 'removed' : 'active';
    }
  }

  /** Closes the queues and the Redis connection. */
  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
    await this.connection.quit();
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.options.prefix });
      // The queue re-emits the connection's errors, which the listener in the constructor already logs.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }
}
