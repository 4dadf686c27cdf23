import { scoringConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { migrateServiceDatabase } from '@vstack/runtime/database';
import { scoringRecords } from './records';
import { ScoringModule } from './scoring.module';

await runService({
  service: 'scoring',
  schema: scoringConfigSchema,
  module: (config, logger) => ScoringModule.forRoot(config, logger),
  usesRedis: true,
  rpc: true,
  migrate: (config, logger) => migrateServiceDatabase('scoring', config, scoringRecords, logger),
});
