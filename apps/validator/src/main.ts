import { validatorConfigSchema } from '@vstack/config';
import { runService } from '@vstack/runtime';
import { ValidatorModule } from './validator.module';

await runService({
  service: 'validator',
  schema: validatorConfigSchema,
  module: (config, logger) => ValidatorModule.forRoot(config, logger),
  usesRedis: true,
  rpc: true,
});
