import { type DynamicModule, Module } from '@nestjs/common';
import type { SynthesizingConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { ServiceDatabaseModule } from '@vstack/runtime';
import { synthesizingRecords } from './records';

/** synthesizing: synthetic challenges. */
@Module({})
export class SynthesizingModule {
  static forRoot(config: SynthesizingConfig, logger: Logger): DynamicModule {
    return {
      module: SynthesizingModule,
      imports: [ServiceDatabaseModule.forService('synthesizing', config, synthesizingRecords, logger)],
    };
  }
}
