import { managingConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { ManagingModule } from './managing.module';

await runService({
  service: 'managing',
  schema: managingConfigSchema,
  module: (config, logger) => ManagingModule.forRoot(config, logger),
  usesRedis: true,
  rpc: true,
});
