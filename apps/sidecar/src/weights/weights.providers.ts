import type { Provider, Type } from '@nestjs/common';
import type { WeightsCommitStore } from '@vstack/chain';
import type { SidecarConfig } from '@vstack/config';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import { queueLoggerOf } from '@vstack/queues';
import { DataSource } from 'typeorm';
import { IdentitiesService } from '../auth/identities.service';
import { ChainMetrics } from '../chain/chain-metrics';
import { ChainService } from '../chain/chain.service';
import { PostgresCommitStore } from './postgres-commit-store';
import { SubtensorWeightsChain } from './weights-chain';
import { realTimers, WeightsJobRunner } from './weights-job.runner';
import { PostgresWeightsJobStore, type WeightsJobStore } from './weights-job.store';
import { WeightsController } from './weights.controller';
import { WeightsMetrics } from './weights.metrics';
import { WeightsProcessor, WeightsWorker } from './weights.processor';
import { BullWeightsQueue } from './weights.queue';
import { WeightsService } from './weights.service';
import {
  WEIGHTS_COMMIT_STORE,
  WEIGHTS_JOB_STORE,
  WEIGHTS_METRICS,
  WEIGHTS_QUEUE,
  WEIGHTS_RUNNER,
} from './weights.tokens';

/** How often a waiting weights job looks at the chain head. */
const POLL_INTERVAL_MS = 500;

/** The controllers of the weights side. */
export const weightsControllers: Type[] = [WeightsController];

/** The providers of the weights side: stores, queue, runner, service, worker. */
export function weightsProviders(config: SidecarConfig, logger: Logger): Provider[] {
  return [
    {
      provide: WEIGHTS_COMMIT_STORE,
      inject: [DataSource],
      useFactory: (dataSource: DataSource): WeightsCommitStore => new PostgresCommitStore(dataSource),
    },
    {
      provide: WEIGHTS_JOB_STORE,
      inject: [DataSource],
      useFactory: (dataSource: DataSource): WeightsJobStore => new PostgresWeightsJobStore(dataSource),
    },
    {
      provide: WEIGHTS_METRICS,
      inject: [ServiceMetrics],
      useFactory: (metrics: ServiceMetrics) => new WeightsMetrics(metrics.registry),
    },
    {
      provide: WEIGHTS_QUEUE,
      useFactory: () =>
        new BullWeightsQueue(
          { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX },
          queueLoggerOf(logger),
        ),
    },
    {
      provide: WEIGHTS_RUNNER,
      inject: [
        ChainService,
        IdentitiesService,
        WEIGHTS_COMMIT_STORE,
        WEIGHTS_JOB_STORE,
        WEIGHTS_METRICS,
        ServiceMetrics,
      ],
      useFactory: (
        chain: ChainService,
        identities: IdentitiesService,
        commits: WeightsCommitStore,
        store: WeightsJobStore,
        metrics: WeightsMetrics,
        serviceMetrics: ServiceMetrics,
      ) =>
        new WeightsJobRunner({
          chain: new SubtensorWeightsChain(chain.client, commits, new ChainMetrics(serviceMetrics.registry)),
          store,
          timers: realTimers,
          metrics,
          logger,
          signerFor: (name) => identities.get(name)?.hotkey,
          options: {
            attemptTimeoutMs: config.SIDECAR_WEIGHTS_ATTEMPT_TIMEOUT_MS,
            retryDelayMs: config.SIDECAR_WEIGHTS_RETRY_DELAY_MS,
            pollIntervalMs: POLL_INTERVAL_MS,
          },
        }),
    },
    WeightsService,
    WeightsProcessor,
    WeightsWorker,
  ];
}
