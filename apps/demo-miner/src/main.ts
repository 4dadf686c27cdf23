import { demoMinerConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { DemoMinerModule } from './demo-miner.module';

await runService({
  service: 'demo-miner',
  schema: demoMinerConfigSchema,
  module: (config) => DemoMinerModule.forRoot(config),
  usesRedis: false,
});
