import { sidecarConfigSchema } from '@vstack/config';
import { migrateServiceDatabase, runService } from '@vstack/runtime';
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
