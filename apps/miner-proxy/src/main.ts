import { minerProxyConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { MinerProxyModule } from './miner-proxy.module';
import { serveAxonCommand } from './serve-axon.command';

await runService({
  service: 'miner-proxy',
  schema: minerProxyConfigSchema,
  module: (config, logger) => MinerProxyModule.forRoot(config, logger),
  usesRedis: true,
  commands: { 'serve-axon': serveAxonCommand },
});
