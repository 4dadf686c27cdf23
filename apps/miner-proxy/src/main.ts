import { minerProxyConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { MinerProxyModule } from './miner-proxy.module';

await runService({
  service: 'miner-proxy',
  schema: minerProxyConfigSchema,
  module: (config, logger) => MinerProxyModule.forRoot(config, logger),
  usesRedis: true,
});
