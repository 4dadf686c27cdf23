import { devnetConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { DevnetModule } from './devnet.module';

await runService({
  service: 'devnet',
  schema: devnetConfigSchema,
  module: (config, logger) => DevnetModule.forRoot(config, logger),
  usesRedis: false,
  // A scenario or an extrinsic batch over HTTP POST can exceed the default 1 MiB.
  bodyLimitBytes: 16 * 1024 * 1024,
});
