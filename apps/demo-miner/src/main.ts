import { demoMinerConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { DemoMinerModule } from './demo-miner.module';

await runService({
  service: 'demo-miner',
  schema: demoMinerConfigSchema,
  module: () => DemoMinerModule,
  usesRedis: false,
});
