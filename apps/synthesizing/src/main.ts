import { synthesizingConfigSchema } from '@vstack/config';
import { migrateServiceDatabase, runService } from '@vstack/runtime';
import { synthesizingRecords } from './records';
import { SynthesizingModule } from './synthesizing.module';

await runService({
  service: 'synthesizing',
  schema: synthesizingConfigSchema,
  module: (config, logger) => SynthesizingModule.forRoot(config, logger),
  usesRedis: true,
  rpc: true,
  migrate: (config, logger) => migrateServiceDatabase('synthesizing', config, synthesizingRecords, logger),
});
