import { gatewayConfigSchema } from '@vstack/config';
import { migrateServiceDatabase, runService } from '@vstack/runtime';
import { gatewayRecords } from './records';
import { GatewayModule } from './gateway.module';

await runService({
  service: 'gateway',
  schema: gatewayConfigSchema,
  module: (config, logger) => GatewayModule.forRoot(config, logger),
  usesRedis: true,
  migrate: (config, logger) => migrateServiceDatabase('gateway', config, gatewayRecords, logger),
});
