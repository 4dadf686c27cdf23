import { withCorrelationId } from '@vstack/observability';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Registry } from 'prom-client';
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
import { type JobRunOutcome, QueueMetrics } from './metrics';

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
  /** The service's metrics registry: job runs, their durations and the queue's depth are reported there. */
  metrics?: Registry;
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
  private readonly metrics: QueueMetrics | undefined;
  private depthReader: Queue | undefined;
  private unwatch: (() => void) | undefined;

  constructor(private readonly options: JobWorkerOptions) {
    this.settings = resolveStalledJobSettings(options.stalledJobs);
    this.logger = options.logger ?? consoleQueueLogger;
    this.metrics = options.metrics ? QueueMetrics.of(options.metrics) : undefined;
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
    if (this.metrics) {
      const reader = new Queue(queue, { connection: this.connection, prefix: connection.prefix });
      this.depthReader = reader;
      this.unwatch = this.metrics.watch(queue, (...states) => reader.getJobCounts(...states));
    }
    await worker.waitUntilReady();
  }

  /** Stops taking jobs and waits for the jobs in hand to finish, then disconnects. */
  async close(): Promise<void> {
    const { worker, connection, depthReader } = this;
    this.worker = undefined;
    this.connection = undefined;
    this.depthReader = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    await worker?.close();
    await depthReader?.close();
    await connection?.quit();
  }

  private async process(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, job: Job): Promise<void> {
    const metrics = this.metrics;
    if (!metrics) return this.run(handlers, job);
    const started = performance.now();
    let outcome: JobRunOutcome = 'completed';
    try {
      await this.run(handlers, job);
    } catch (error) {
      outcome = runOutcomeOf(error, job);
      throw error;
    } finally {
      metrics.recordRun(this.options.queue, job.name, outcome, (performance.now() - started) / 1000);
    }
  }

  private async run(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, job: Job): Promise<void> {
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

/** How a failed run ends: refused as unprocessable, failed for good, or failed with attempts left. */
function runOutcomeOf(error: unknown, job: Job): JobRunOutcome {
  if (error instanceof UnprocessableJobError) return 'invalid';
  if (error instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ? 'failed' : 'retried';
}
