import { gatewayConfigSchema } from '@vstack/config';
import { type ServiceDefinition } from '@vstack/runtime';
import { migrateServiceDatabase } from '@vstack/runtime/database';
import { GatewayModule, type GatewayOverrides } from './gateway.module';
import { keysCommand } from './keys/keys-command';
import { gatewayRecords } from './records';

/** Largest request body: chat requests may carry 64 messages of 32 KiB each. */
export const GATEWAY_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** The gateway as a service: what `main.js` runs, and what tests start in-process with their overrides. */
export function gatewayService(
  overrides: GatewayOverrides = {},
): ServiceDefinition<typeof gatewayConfigSchema> {
  return {
    service: 'gateway',
    schema: gatewayConfigSchema,
    module: (config, logger) => GatewayModule.forRoot(config, logger, overrides),
    usesRedis: true,
    // Hears the validator's task events and the replicas' task.finished.
    rpc: true,
    bodyLimitBytes: GATEWAY_BODY_LIMIT_BYTES,
    migrate: (config, logger) => migrateServiceDatabase('gateway', config, gatewayRecords, logger),
    commands: { keys: keysCommand },
  };
}
