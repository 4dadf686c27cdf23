import { type DynamicModule, Module } from '@nestjs/common';
import type { GatewayConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { ServiceDatabaseModule } from '@vstack/runtime';
import { gatewayRecords } from './records';

/** gateway: the organic task API. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ServiceDatabaseModule.forService('gateway', config, gatewayRecords, logger)],
    };
  }
}
