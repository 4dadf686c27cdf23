import { type DynamicModule, Module } from '@nestjs/common';
import type { SidecarConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { ServiceDatabaseModule } from '@vstack/runtime';
import { AccessGuard } from './auth/access.guard';
import { IdentitiesService } from './auth/identities.service';
import { ChainService } from './chain/chain.service';
import { sidecarRecords } from './records';
import { SIDECAR_CONFIG } from './tokens';

/** sidecar: cached chain access and weight setting. */
@Module({})
export class SidecarModule {
  static forRoot(config: SidecarConfig, logger: Logger): DynamicModule {
    return {
      module: SidecarModule,
      imports: [ServiceDatabaseModule.forService('sidecar', config, sidecarRecords, logger)],
      providers: [
        { provide: SIDECAR_CONFIG, useValue: config },
        {
          provide: IdentitiesService,
          useFactory: () =>
            IdentitiesService.load(
              config.SIDECAR_IDENTITIES,
              config.SIDECAR_WALLET_PATH,
              config.SIDECAR_OPEN_ACCESS_TOKEN,
            ),
        },
        {
          provide: ChainService,
          useFactory: () =>
            new ChainService({
              endpoints: config.SUBTENSOR_URL,
              archiveEndpoint: config.SUBTENSOR_ARCHIVE_URL,
              archiveCutoffBlocks: config.SIDECAR_ARCHIVE_CUTOFF_BLOCKS,
              logger,
            }),
        },
        AccessGuard,
      ],
    };
  }
}
