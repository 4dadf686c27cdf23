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
import { GATEWAY_SETTINGS } from '../ports';
import type { GatewaySettings } from '../settings';
import { ResultsProcessor } from './results.processor';

/** Injection token of the queue connection (REDIS_URL, REDIS_PREFIX). */
export const QUEUE_CONNECTION = Symbol('gateway:queue-connection');

/**
 * Takes results and webhook deliveries once the app has started, and stops taking them (finishing those in hand)
 * before the database closes. Closes the producer last.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private workers: JobWorker[] = [];

  constructor(
    private readonly processor: ResultsProcessor,
    private readonly producer: JobProducer,
    @Inject(QUEUE_CONNECTION) private readonly connection: QueueConnectionOptions,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: ServiceMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = new JobHandlerRegistry().registerFrom(this.processor);
    this.workers = [QueueName.OrganicResults, QueueName.GatewayWebhooks].map(
      (queue) =>
        new JobWorker({
          queue,
          handlers,
          connection: this.connection,
          concurrency: this.settings.resultsConcurrency,
          name: 'gateway',
          logger: queueLoggerOf(this.logger),
          metrics: this.metrics.registry,
        }),
    );
    await Promise.all(this.workers.map((worker) => worker.start()));
  }

  async onModuleDestroy(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.close()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}
