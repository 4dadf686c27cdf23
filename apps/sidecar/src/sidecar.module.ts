import { type DynamicModule, Module } from '@nestjs/common';
import type { WeightsCommitStore } from '@vstack/chain';
import type { SidecarConfig } from '@vstack/config';
import type { Logger } from '@vstack/observability';
import { ServiceDatabaseModule } from '@vstack/runtime/database';
import { AccessGuard } from './auth/access.guard';
import { IdentitiesService } from './auth/identities.service';
import { ChainService } from './chain/chain.service';
import { metagraphParts } from './metagraph/metagraph.providers';
import { sidecarRecords } from './records';
import { SIDECAR_CONFIG } from './tokens';
import { weightsControllers, weightsProviders } from './weights/weights.providers';
import { WEIGHTS_COMMIT_STORE } from './weights/weights.tokens';

/** sidecar: cached chain access and weight setting. */
@Module({})
export class SidecarModule {
  static forRoot(config: SidecarConfig, logger: Logger): DynamicModule {
    const reads = metagraphParts(config, logger);
    return {
      module: SidecarModule,
      imports: [
        ServiceDatabaseModule.forService('sidecar', config, sidecarRecords, logger),
        ...reads.imports,
      ],
      controllers: [...reads.controllers, ...weightsControllers],
      providers: [
        ...reads.providers,
        ...weightsProviders(config, logger),
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
          // Pending commits live in Postgres, so a restarted sidecar still reveals them.
          inject: [WEIGHTS_COMMIT_STORE],
          useFactory: (commitStore: WeightsCommitStore) =>
            new ChainService({
              endpoints: config.SUBTENSOR_URL,
              archiveEndpoint: config.SUBTENSOR_ARCHIVE_URL,
              archiveCutoffBlocks: config.SIDECAR_ARCHIVE_CUTOFF_BLOCKS,
              commitStore,
              logger,
            }),
        },
        AccessGuard,
      ],
    };
  }
}
