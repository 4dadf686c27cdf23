import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import {
  JobHandlerRegistry,
  JobProducer,
  JobWorker,
  type QueueConnectionOptions,
  queueLoggerOf,
  QueueName,
} from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { MINER_CALLER, QUEUE_CONNECTION, VALIDATOR_SETTINGS } from '../ports';
import type { ValidatorSettings } from '../settings';
import { TaskProcessor } from './task.processor';
import { TaskRelease } from './task-release';

/** Something holding connections that must be closed last. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Takes organic and synthetic task jobs once the app has started. On shutdown it stops taking jobs and waits for
 * the tasks in hand; those still running after `releaseAfterMs` are given back to the queue (their miner calls
 * cancelled, their attempt failed, so BullMQ hands them to another validator). Then the producer and the miner
 * connections close.
 */
@Injectable()
export class TaskWorkers implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private workers: JobWorker[] = [];

  constructor(
    private readonly processor: TaskProcessor,
    private readonly release: TaskRelease,
    private readonly producer: JobProducer,
    @Inject(MINER_CALLER) private readonly minerCaller: Partial<Closable>,
    @Inject(QUEUE_CONNECTION) private readonly connection: QueueConnectionOptions,
    @Inject(VALIDATOR_SETTINGS) private readonly settings: ValidatorSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: ServiceMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = new JobHandlerRegistry().registerFrom(this.processor);
    const common = {
      handlers,
      connection: this.connection,
      name: 'validator',
      logger: queueLoggerOf(this.logger),
      metrics: this.metrics.registry,
    };
    this.workers = [
      new JobWorker({
        ...common,
        queue: QueueName.OrganicTasks,
        concurrency: this.settings.organicConcurrency,
      }),
      new JobWorker({
        ...common,
        queue: QueueName.SyntheticTasks,
        concurrency: this.settings.syntheticConcurrency,
      }),
    ];
    await Promise.all(this.workers.map((worker) => worker.start()));
  }

  async onModuleDestroy(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    const timer = setTimeout(() => {
      this.logger.warn(
        { afterMs: this.settings.releaseAfterMs },
        'giving the tasks still in hand back to the queue',
      );
      this.release.release();
    }, this.settings.releaseAfterMs);
    try {
      await Promise.all(workers.map((worker) => worker.close()));
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
    await this.minerCaller.close?.();
  }
}
