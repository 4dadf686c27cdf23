import { type DynamicModule, Module } from '@nestjs/common';
import type { DevnetConfig } from '@vstack/config';
import { DevnetNodeModule } from '@vstack/devnet';
import type { Logger } from '@vstack/observability';

/** devnet: a local subtensor node, its JSON-RPC on the service's port next to /health and /metrics. */
@Module({})
export class DevnetModule {
  static forRoot(config: DevnetConfig, logger: Logger): DynamicModule {
    return {
      module: DevnetModule,
      imports: [
        DevnetNodeModule.forRoot({
          blockTimeMs: config.DEVNET_BLOCK_TIME_MS,
          scenarioPath: config.DEVNET_SCENARIO,
          statePruning: config.DEVNET_STATE_PRUNING,
          cacheDir: config.VSTACK_CACHE_DIR,
          logger: logger.child({ component: 'node' }),
        }),
      ],
    };
  }
}
