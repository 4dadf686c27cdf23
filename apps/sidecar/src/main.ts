import { sidecarConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { migrateServiceDatabase } from '@vstack/runtime/database';
import { sidecarRecords } from './records';
import { SidecarModule } from './sidecar.module';

await runService({
  service: 'sidecar',
  schema: sidecarConfigSchema,
  module: (config, logger) => SidecarModule.forRoot(config, logger),
  usesRedis: true,
  rpc: true,
  migrate: (config, logger) => migrateServiceDatabase('sidecar', config, sidecarRecords, logger),
});
