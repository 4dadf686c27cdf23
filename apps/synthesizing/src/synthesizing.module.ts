import { type DynamicModule, Module } from '@nestjs/common';
import type { SynthesizingConfig } from '@vstack/config';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import type { RandomSource } from '@vstack/protocol';
import { queueLoggerOf } from '@vstack/queues';
import { ServiceDatabaseModule } from '@vstack/runtime/database';
import { SynthesizingMetrics } from './metrics';
import {
  CLOCK,
  type Clock,
  RANDOM,
  realTimers,
  SAMPLE_STORE,
  type SampleStore,
  SYNTHESIZING_SETTINGS,
  SYNTHETIC_QUEUE,
  type SyntheticQueue,
  TIMERS,
  type Timers,
} from './ports';
import { synthesizingRecords } from './records';
import { SamplesController } from './samples/samples.controller';
import { SamplesService } from './samples/samples.service';
import { TypeOrmSampleStore } from './samples/typeorm-sample-store';
import { synthesizingSettings } from './settings';
import { BullSyntheticQueue } from './stream/bull-synthetic-queue';
import { SyntheticStream } from './stream/synthetic-stream';
import { SyntheticStreamRunner } from './stream/synthetic-stream.runner';

/** What tests may put in place of the queue, the sample store, the clock, the timers and randomness. */
export interface SynthesizingOverrides {
  queue?: SyntheticQueue;
  samples?: SampleStore;
  clock?: Clock;
  timers?: Timers;
  random?: RandomSource;
}

/**
 * synthesizing: keeps a stream of synthetic challenges per task type on the synthetic queue at the configured
 * rate, with backpressure on the queue's depth, and replays a share of sampled organic requests it stores.
 */
@Module({})
export class SynthesizingModule {
  static forRoot(
    config: SynthesizingConfig,
    logger: Logger,
    overrides: SynthesizingOverrides = {},
  ): DynamicModule {
    return {
      module: SynthesizingModule,
      imports: [ServiceDatabaseModule.forService('synthesizing', config, synthesizingRecords, logger)],
      controllers: [SamplesController],
      providers: [
        { provide: SYNTHESIZING_SETTINGS, useValue: synthesizingSettings(config) },
        { provide: CLOCK, useValue: overrides.clock ?? Date.now },
        { provide: TIMERS, useValue: overrides.timers ?? realTimers },
        { provide: RANDOM, useValue: overrides.random ?? Math.random },
        {
          provide: SYNTHETIC_QUEUE,
          useFactory: (): SyntheticQueue =>
            overrides.queue ??
            new BullSyntheticQueue(
              { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX },
              queueLoggerOf(logger),
            ),
        },
        overrides.samples
          ? { provide: SAMPLE_STORE, useValue: overrides.samples }
          : { provide: SAMPLE_STORE, useClass: TypeOrmSampleStore },
        {
          provide: SynthesizingMetrics,
          inject: [ServiceMetrics],
          useFactory: (metrics: ServiceMetrics) => new SynthesizingMetrics(metrics.registry),
        },
        SyntheticStream,
        SyntheticStreamRunner,
        SamplesService,
      ],
    };
  }
}
