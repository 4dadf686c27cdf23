import { type DynamicModule, Module } from '@nestjs/common';
import type { ValidatorConfig } from '@vstack/config';
import { ContractsModule, RpcClient } from '@vstack/contracts';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import type { RandomSource } from '@vstack/protocol';
import { JobProducer, type QueueConnectionOptions, queueLoggerOf } from '@vstack/queues';
import { loadValidatorSigner } from './hotkey';
import { ValidatorMetrics } from './metrics';
import { MinerClient } from './miners/miner-client';
import {
  CLOCK,
  type Clock,
  JOB_SENDER,
  MINER_CALLER,
  MINER_DIRECTORY,
  type MinerCaller,
  type MinerDirectory,
  QUEUE_CONNECTION,
  RANDOM,
  realTimers,
  TASK_EVENTS,
  type TaskEvents,
  TIMERS,
  type Timers,
  VALIDATOR_SETTINGS,
  WEIGHTS_SOURCE,
  type WeightsSource,
} from './ports';
import { RpcMinerDirectory, RpcTaskEvents, RpcWeightsSource } from './rpc-adapters';
import { validatorSettings } from './settings';
import { OrganicTaskService } from './tasks/organic-task.service';
import { SyntheticTaskService } from './tasks/synthetic-task.service';
import { TaskProcessor } from './tasks/task.processor';
import { TaskRelease } from './tasks/task-release';
import { TaskWorkers } from './tasks/task-workers';
import { EpochController } from './weights/epoch.controller';
import { EpochWeightsService } from './weights/epoch-weights.service';

/** What tests may put in place of the miners, managing, scoring, the event bus, the clock and randomness. */
export interface ValidatorOverrides {
  minerCaller?: MinerCaller;
  directory?: MinerDirectory;
  weights?: WeightsSource;
  events?: TaskEvents;
  clock?: Clock;
  timers?: Timers;
  random?: RandomSource;
}

/**
 * validator: the loop. Takes organic and synthetic tasks from their queues, asks managing for miners, sends them
 * Epistula-signed requests, publishes results, progress and score jobs, and makes sure a weights job reaches the
 * sidecar at every epoch.
 */
@Module({})
export class ValidatorModule {
  static forRoot(config: ValidatorConfig, logger: Logger, overrides: ValidatorOverrides = {}): DynamicModule {
    const settings = validatorSettings(config);
    const connection: QueueConnectionOptions = { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX };
    return {
      module: ValidatorModule,
      imports: [
        ContractsModule.forClient({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          connectionName: 'vstack-validator-rpc-client',
          timeoutMs: settings.rpcTimeoutMs,
        }),
      ],
      controllers: [EpochController],
      providers: [
        { provide: VALIDATOR_SETTINGS, useValue: settings },
        { provide: QUEUE_CONNECTION, useValue: connection },
        { provide: CLOCK, useValue: overrides.clock ?? Date.now },
        { provide: TIMERS, useValue: overrides.timers ?? realTimers },
        { provide: RANDOM, useValue: overrides.random ?? Math.random },
        {
          provide: MINER_CALLER,
          useFactory: async (): Promise<MinerCaller> =>
            overrides.minerCaller ??
            new MinerClient({
              signer: await loadValidatorSigner(config),
              connections: settings.minerConnections,
              maxResponseBytes: settings.maxResponseBytes,
            }),
        },
        {
          provide: MINER_DIRECTORY,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient): MinerDirectory =>
            overrides.directory ?? new RpcMinerDirectory(rpc, logger),
        },
        {
          provide: WEIGHTS_SOURCE,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient): WeightsSource => overrides.weights ?? new RpcWeightsSource(rpc),
        },
        {
          provide: TASK_EVENTS,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient): TaskEvents => overrides.events ?? new RpcTaskEvents(rpc, logger),
        },
        { provide: JobProducer, useFactory: () => new JobProducer(connection, queueLoggerOf(logger)) },
        { provide: JOB_SENDER, useExisting: JobProducer },
        {
          provide: ValidatorMetrics,
          inject: [ServiceMetrics],
          useFactory: (metrics: ServiceMetrics) => new ValidatorMetrics(metrics.registry),
        },
        TaskRelease,
        OrganicTaskService,
        SyntheticTaskService,
        TaskProcessor,
        TaskWorkers,
        EpochWeightsService,
      ],
    };
  }
}
