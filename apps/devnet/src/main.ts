import { devnetConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { DevnetModule } from './devnet.module';

await runService({
  service: 'devnet',
  schema: devnetConfigSchema,
  module: () => DevnetModule,
  usesRedis: false,
});
