import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ChainConnection, type ChainLogger, SubtensorClient, type WeightsCommitStore } from '@vstack/chain';

export interface ChainServiceOptions {
  endpoints: readonly string[];
  archiveEndpoint?: string | undefined;
  /** Blocks behind the head past which reads go to the archive node. */
  archiveCutoffBlocks: number;
  commitStore?: WeightsCommitStore;
  logger: ChainLogger;
}

/**
 * The sidecar's one chain connection and the subtensor client over it. Connecting happens in the background:
 * the sidecar starts (and answers 503 on reads) while the chain is away.
 */
@Injectable()
export class ChainService implements OnApplicationShutdown {
  readonly connection: ChainConnection;
  readonly client: SubtensorClient;

  constructor(options: ChainServiceOptions) {
    this.connection = new ChainConnection({
      endpoints: options.endpoints,
      ...(options.archiveEndpoint ? { archiveEndpoint: options.archiveEndpoint } : {}),
      archiveDepth: options.archiveCutoffBlocks,
      logger: options.logger,
    });
    this.client = new SubtensorClient({
      connection: this.connection,
      logger: options.logger,
      ...(options.commitStore ? { commitStore: options.commitStore } : {}),
    });
  }

  /** Starts connecting; resolves at once. */
  start(onError: (error: unknown) => void): void {
    this.connection.connect().catch(onError);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.disconnect();
  }
}
