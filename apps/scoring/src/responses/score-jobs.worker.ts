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
import { SCORING_SETTINGS } from '../ports';
import type { ScoringSettings } from '../settings';
import { ResponsesProcessor } from './responses.processor';

/** Injection token of the queue connection (REDIS_URL, REDIS_PREFIX). */
export const QUEUE_CONNECTION = Symbol('scoring:queue-connection');

/**
 * Takes score jobs once the app has started, and stops taking them (finishing those in hand) before the
 * database closes. Closes the producer of weight jobs last.
 */
@Injectable()
export class ScoreJobsWorker implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private worker: JobWorker | undefined;

  constructor(
    private readonly processor: ResponsesProcessor,
    private readonly producer: JobProducer,
    @Inject(QUEUE_CONNECTION) private readonly connection: QueueConnectionOptions,
    @Inject(SCORING_SETTINGS) private readonly settings: ScoringSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: ServiceMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new JobWorker({
      queue: QueueName.Scoring,
      handlers: new JobHandlerRegistry().registerFrom(this.processor),
      connection: this.connection,
      concurrency: this.settings.concurrency,
      name: 'scoring',
      logger: queueLoggerOf(this.logger),
      metrics: this.metrics.registry,
    });
    await this.worker.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    this.worker = undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}
