import { type DynamicModule, Module } from '@nestjs/common';
import type { SidecarConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { ServiceDatabaseModule } from '@vstack/runtime';
import { sidecarRecords } from './records';

/** sidecar: cached chain access and weight setting. */
@Module({})
export class SidecarModule {
  static forRoot(config: SidecarConfig, logger: Logger): DynamicModule {
    return {
      module: SidecarModule,
      imports: [ServiceDatabaseModule.forService('sidecar', config, sidecarRecords, logger)],
    };
  }
}
