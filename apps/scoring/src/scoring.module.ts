import { type DynamicModule, Module } from '@nestjs/common';
import type { ScoringConfig } from '@vstack/config';
import { ContractsModule, RpcClient } from '@vstack/contracts';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import { DeterministicReferenceModel, type RandomSource, type ReferenceContext } from '@vstack/protocol';
import { JobProducer, type QueueConnectionOptions, queueLoggerOf } from '@vstack/queues';
import { ServiceDatabaseModule } from '@vstack/runtime/database';
import { LeaderboardController } from './leaderboard/leaderboard.controller';
import { LeaderboardService } from './leaderboard/leaderboard.service';
import { ScoringMetrics } from './metrics';
import {
  CHAIN_VIEW,
  type ChainView,
  type Clock,
  CLOCK,
  JOB_SENDER,
  RANDOM,
  REFERENCE_CONTEXT,
  SCORE_STORE,
  SCORING_SETTINGS,
} from './ports';
import { scoringRecords } from './records';
import { ScoringRpcController } from './rpc.controller';
import { ResponsesProcessor } from './responses/responses.processor';
import { ResponsesService } from './responses/responses.service';
import { QUEUE_CONNECTION, ScoreJobsWorker } from './responses/score-jobs.worker';
import { RetentionService } from './retention/retention.service';
import { scoringSettings } from './settings';
import { TypeOrmScoreStore } from './store/typeorm-score-store';
import { SidecarChainView } from './weights/sidecar-chain-view';
import { WeightsService } from './weights/weights.service';

/** What tests may put in place of the sidecar, the clock, the randomness and the reference model. */
export interface ScoringOverrides {
  chain?: ChainView;
  clock?: Clock;
  random?: RandomSource;
  reference?: ReferenceContext;
}

/** How long scoring waits for the sidecar's metagraph and hyperparameters. */
const SIDECAR_TIMEOUT_MS = 10_000;

/** scoring: scores miner responses, keeps moving scores, and sends a weight vector every epoch. */
@Module({})
export class ScoringModule {
  static forRoot(config: ScoringConfig, logger: Logger, overrides: ScoringOverrides = {}): DynamicModule {
    const connection: QueueConnectionOptions = { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX };
    return {
      module: ScoringModule,
      imports: [
        ServiceDatabaseModule.forService('scoring', config, scoringRecords, logger),
        ContractsModule.forClient({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          connectionName: 'vstack-scoring-rpc-client',
          timeoutMs: SIDECAR_TIMEOUT_MS,
        }),
      ],
      controllers: [LeaderboardController, ScoringRpcController],
      providers: [
        { provide: SCORING_SETTINGS, useValue: scoringSettings(config) },
        { provide: QUEUE_CONNECTION, useValue: connection },
        { provide: CLOCK, useValue: overrides.clock ?? Date.now },
        { provide: RANDOM, useValue: overrides.random ?? Math.random },
        {
          provide: REFERENCE_CONTEXT,
          useValue: overrides.reference ?? { referenceModel: new DeterministicReferenceModel() },
        },
        { provide: SCORE_STORE, useClass: TypeOrmScoreStore },
        {
          provide: CHAIN_VIEW,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient): ChainView => overrides.chain ?? new SidecarChainView(rpc),
        },
        { provide: JobProducer, useFactory: () => new JobProducer(connection, queueLoggerOf(logger)) },
        { provide: JOB_SENDER, useExisting: JobProducer },
        {
          provide: ScoringMetrics,
          inject: [ServiceMetrics],
          useFactory: (metrics: ServiceMetrics) => new ScoringMetrics(metrics.registry),
        },
        ResponsesService,
        ResponsesProcessor,
        ScoreJobsWorker,
        WeightsService,
        LeaderboardService,
        RetentionService,
      ],
    };
  }
}
