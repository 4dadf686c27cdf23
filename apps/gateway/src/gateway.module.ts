import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { GatewayConfig } from '@vstack/config';
import { ContractsModule, RpcClient } from '@vstack/contracts';
import { DATA_SOURCE } from '@vstack/database';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import { JobProducer, type QueueConnectionOptions, queueLoggerOf } from '@vstack/queues';
import { ServiceDatabaseModule } from '@vstack/runtime/database';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { DocsController } from './docs/docs.controller';
import { GatewayExceptionFilter } from './gateway-exception.filter';
import { GatewayMetrics } from './gateway-metrics';
import { AdminKeysController } from './keys/admin-keys.controller';
import { ApiKeysService } from './keys/api-keys.service';
import { AdminGuard, ApiKeyGuard } from './keys/guards';
import { PostgresKeyStore } from './keys/postgres-key-store';
import { RedisRateLimiter } from './keys/rate-limiter';
import { QueueBoardModule } from './queue-board/queue-board.module';
import {
  CLOCK,
  type Clock,
  GATEWAY_SETTINGS,
  KEY_STORE,
  RATE_LIMITER,
  systemClock,
  TASK_ANNOUNCER,
  TASK_QUEUE,
  TASK_STORE,
  WEBHOOK_TRANSPORT,
} from './ports';
import { gatewayRecords } from './records';
import { gatewaySettings } from './settings';
import { ChatController } from './tasks/chat.controller';
import { MaintenanceService } from './tasks/maintenance.service';
import { PostgresTaskStore } from './tasks/postgres-task-store';
import type { TaskStore } from './tasks/task-store';
import { QUEUE_CONNECTION, QueueWorkers } from './tasks/queue-workers';
import { ResultsProcessor } from './tasks/results.processor';
import { RpcTaskAnnouncer } from './tasks/task-announcer';
import { TaskEventsController } from './tasks/task-events.controller';
import { TaskLifecycle } from './tasks/task-lifecycle.service';
import { BullTaskQueue, type TaskQueue } from './tasks/task-queue';
import { TaskSignals } from './tasks/task-signals';
import { TasksController } from './tasks/tasks.controller';
import { TasksService } from './tasks/tasks.service';
import { fetchWebhookTransport, type WebhookTransport, WebhookService } from './webhooks/webhook.service';

/** What tests may put in place of the clock, the webhook HTTP client and the queue. */
export interface GatewayOverrides {
  clock?: Clock;
  webhookTransport?: WebhookTransport;
  /** Wraps the task queue (to make it fail on purpose). */
  taskQueue?: (queue: TaskQueue) => TaskQueue;
  /** Wraps the task store (to slow a statement down on purpose). */
  taskStore?: (store: TaskStore) => TaskStore;
}

const RATE_LIMIT_REDIS = Symbol('gateway:rate-limit-redis');

/** How long start-up waits for the rate limiter's Redis connection before serving anyway (with 503s until then). */
const RATE_LIMIT_CONNECT_WAIT_MS = 5_000;

/** Connects the rate limiter's Redis before the first request, and closes it when the app stops. */
@Injectable()
class RateLimitRedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_REDIS) private readonly redis: Redis) {}

  async onModuleInit(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RATE_LIMIT_CONNECT_WAIT_MS);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => {
      this.redis.disconnect();
    });
  }
}

/** gateway: the organic task API. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger, overrides: GatewayOverrides = {}): DynamicModule {
    const settings = gatewaySettings(config);
    const connection: QueueConnectionOptions = { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX };
    return {
      module: GatewayModule,
      imports: [
        ServiceDatabaseModule.forService('gateway', config, gatewayRecords, logger),
        ContractsModule.forClient({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          connectionName: 'vstack-gateway-events',
        }),
        QueueBoardModule.forRoot({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          adminToken: config.GATEWAY_ADMIN_TOKEN,
          logger,
        }),
      ],
      controllers: [
        TasksController,
        ChatController,
        AdminKeysController,
        DocsController,
        TaskEventsController,
      ],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: QUEUE_CONNECTION, useValue: connection },
        { provide: WEBHOOK_TRANSPORT, useValue: overrides.webhookTransport ?? fetchWebhookTransport },
        {
          provide: GatewayMetrics,
          inject: [ServiceMetrics],
          useFactory: (metrics: ServiceMetrics) => new GatewayMetrics(metrics),
        },
        {
          provide: KEY_STORE,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => new PostgresKeyStore(dataSource),
        },
        {
          provide: TASK_STORE,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => {
            const store = new PostgresTaskStore(dataSource);
            return overrides.taskStore ? overrides.taskStore(store) : store;
          },
        },
        { provide: JobProducer, useFactory: () => new JobProducer(connection, queueLoggerOf(logger)) },
        {
          provide: TASK_QUEUE,
          inject: [JobProducer],
          useFactory: (producer: JobProducer) => {
            const queue = new BullTaskQueue(producer);
            return overrides.taskQueue ? overrides.taskQueue(queue) : queue;
          },
        },
        {
          provide: RATE_LIMIT_REDIS,
          useFactory: () => {
            // Fails fast while Redis is away, so a request gets its 503 at once instead of hanging.
            const redis = new Redis(config.REDIS_URL, {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              connectionName: 'vstack-gateway-rate-limit',
            });
            redis.on('error', (error: unknown) => {
              logger.warn({ err: error }, 'rate limiter: Redis error');
            });
            return redis;
          },
        },
        RateLimitRedisLifecycle,
        {
          provide: RATE_LIMITER,
          inject: [RATE_LIMIT_REDIS],
          useFactory: (redis: Redis) =>
            new RedisRateLimiter(
              redis,
              `${config.REDIS_PREFIX}:gateway:rate:`,
              settings.rateLimitBurstSeconds,
            ),
        },
        {
          provide: TASK_ANNOUNCER,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient) => new RpcTaskAnnouncer(rpc),
        },
        TaskSignals,
        ApiKeysService,
        TasksService,
        TaskLifecycle,
        WebhookService,
        MaintenanceService,
        ResultsProcessor,
        QueueWorkers,
        GatewayExceptionFilter,
        ApiKeyGuard,
        AdminGuard,
      ],
    };
  }
}
