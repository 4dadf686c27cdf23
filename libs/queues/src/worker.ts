import { withCorrelationId } from '@vstack/observability';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createRedisConnection,
  type QueueConnectionOptions,
  resolveStalledJobSettings,
  type StalledJobSettings,
} from './connection';
import { describeIssues, QueueError, QueueErrorCode, UnprocessableJobError } from './errors';
import type { JobContext, JobHandler, JobHandlerRegistry } from './handlers';
import { isJobName, jobDefinitions, type JobName, type QueueName } from './jobs';
import { consoleQueueLogger, type QueueLogger } from './logger';

/** How a JobWorker runs. */
export interface JobWorkerOptions {
  queue: QueueName;
  handlers: JobHandlerRegistry;
  connection: QueueConnectionOptions;
  /** Jobs run at the same time by this worker. Default 1. */
  concurrency?: number;
  /** Lock and stalled-check settings; defaults bring a dead worker's jobs back within 5 s. */
  stalledJobs?: Partial<StalledJobSettings>;
  /** Shown in BullMQ's job records and Redis CLIENT LIST, e.g. the service name. */
  name?: string;
  logger?: QueueLogger;
}

/**
 * Runs the handlers of one queue. Each payload is validated again (an invalid one fails the job without
 * retries), each job runs with its job id as the correlation id, and `start` refuses to run unless every job
 * of the queue has exactly one handler.
 */
export class JobWorker {
  private worker: Worker | undefined;
  private connection: Redis | undefined;
  private readonly settings: StalledJobSettings;
  private readonly logger: QueueLogger;

  constructor(private readonly options: JobWorkerOptions) {
    this.settings = resolveStalledJobSettings(options.stalledJobs);
    this.logger = options.logger ?? consoleQueueLogger;
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new QueueError(QueueErrorCode.InvalidOptions, 'concurrency must be a whole number of at least 1');
    }
  }

  /** Checks the handlers, then starts taking jobs; resolves once connected. Throws QueueError on bad wiring. */
  async start(): Promise<void> {
    if (this.worker) return;
    const { queue, connection } = this.options;
    const handlers = this.options.handlers.handlersFor(queue);
    this.connection = createRedisConnection(connection.redisUrl, 'worker');
    const worker = new Worker(queue, (job: Job) => this.process(handlers, job), {
      connection: this.connection,
      prefix: connection.prefix,
      concurrency: this.options.concurrency ?? 1,
      lockDuration: this.settings.lockDurationMs,
      stalledInterval: this.settings.stalledIntervalMs,
      maxStalledCount: this.settings.maxStalledCount,
      ...(this.options.name === undefined ? {} : { name: this.options.name }),
    });
    this.worker = worker;
    worker.on('error', (error) => {
      this.logger.error('queue worker error', { queue, error });
    });
    worker.on('failed', (job, error) => {
      this.logger.warn('job failed', {
        queue,
        jobName: job?.name,
        jobId: job?.id,
        attempt: job?.attemptsMade,
        error,
      });
    });
    worker.on('stalled', (jobId) => {
      this.logger.warn('job taken back from a worker that stopped renewing its lock', { queue, jobId });
    });
    await worker.waitUntilReady();
  }

  /** Stops taking jobs and waits for the jobs in hand to finish, then disconnects. */
  async close(): Promise<void> {
    const { worker, connection } = this;
    this.worker = undefined;
    this.connection = undefined;
    await worker?.close();
    await connection?.quit();
  }

  private async process(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, job: Job): Promise<void> {
    const jobId = job.id ?? '';
    const handler = isJobName(job.name) ? handlers.get(job.name) : undefined;
    if (!isJobName(job.name) || !handler) {
      throw new UnprocessableJobError(
        QueueErrorCode.UnknownJob,
        `job "${job.name}" (id ${jobId}) is not a job of queue "${this.options.queue}"`,
      );
    }
    const parsed = jobDefinitions[job.name].schema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnprocessableJobError(
        QueueErrorCode.InvalidPayload,
        `invalid payload for job "${job.name}" (id ${jobId}): ${describeIssues(parsed.error)}`,
      );
    }
    const context: JobContext = {
      id: jobId,
      name: job.name,
      queue: this.options.queue,
      attempt: job.attemptsMade + 1,
    };
    await withCorrelationId(jobId, () => handler(parsed.data, context));
  }
}
