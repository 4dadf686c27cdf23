import { type DynamicModule, Module } from '@nestjs/common';
import type { ScoringConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { ServiceDatabaseModule } from '@vstack/runtime';
import { scoringRecords } from './records';

/** scoring: scores and weights. */
@Module({})
export class ScoringModule {
  static forRoot(config: ScoringConfig, logger: Logger): DynamicModule {
    return {
      module: ScoringModule,
      imports: [ServiceDatabaseModule.forService('scoring', config, scoringRecords, logger)],
    };
  }
}
