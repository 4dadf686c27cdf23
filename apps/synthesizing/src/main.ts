import { synthesizingConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { migrateServiceDatabase } from '@vstack/runtime/database';
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
