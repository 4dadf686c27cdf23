import type { RpcClient, RpcResponse } from '@vstack/contracts';
import { errorMessage } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import type { MinerRegistry } from './miner-registry';

/** Where the metagraph comes from. */
export interface MetagraphSource {
  /** The subnet's metagraph at the latest block; throws when it cannot be had. */
  neurons(netuid: number): Promise<RpcResponse<'chain.neurons'>>;
}

/** The sidecar's metagraph over RPC (`chain.neurons`). */
export class SidecarMetagraphSource implements MetagraphSource {
  constructor(
    private readonly rpc: Pick<RpcClient, 'send'>,
    private readonly timeoutMs = 5_000,
  ) {}

  neurons(netuid: number): Promise<RpcResponse<'chain.neurons'>> {
    return this.rpc.send('chain.neurons', { netuid }, { timeoutMs: this.timeoutMs });
  }
}

export interface MetagraphSyncOptions {
  source: MetagraphSource;
  registry: MinerRegistry;
  logger: Logger;
  /** Re-read at least this often, besides change events. */
  refreshMs: number;
  /** First pause after a failed read; it doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Keeps the registry filled: reads the metagraph at start (retrying with backoff while the sidecar is away), on
 * every change event and every `refreshMs`. One read at a time; a request during a read triggers one more after it.
 */
export class MetagraphSync {
  private reading: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = true;

  constructor(private readonly options: MetagraphSyncOptions) {}

  /** Starts reading in the background; the service starts (not ready) while the sidecar is away. */
  start(): void {
    this.stopped = false;
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads the metagraph now (or once more after the read in flight); resolves when the registry is up to date. */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readLoop().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readLoop(): Promise<void> {
    for (;;) {
      this.again = false;
      await this.readOnce();
      if (!this.askedAgain()) return;
    }
  }

  private askedAgain(): boolean {
    return this.again && !this.stopped;
  }

  private async readOnce(): Promise<void> {
    const { source, registry, logger } = this.options;
    let delay: number;
    try {
      const metagraph = await source.neurons(registry.netuid);
      const change = registry.apply(metagraph);
      if (this.failures > 0) logger.info({ block: metagraph.block }, 'metagraph: the sidecar answers again');
      this.failures = 0;
      if (change && (change.added.length > 0 || change.removed.length > 0)) {
        logger.info(
          {
            block: metagraph.block,
            miners: change.snapshot.miners.length,
            added: change.added.map((miner) => miner.uid),
            removed: change.removed.map((miner) => miner.uid),
          },
          'metagraph: miners changed',
        );
      }
      delay = this.options.refreshMs;
    } catch (error) {
      this.failures += 1;
      const retryMs = this.options.retryMs ?? 1_000;
      delay = Math.min(this.options.maxRetryMs ?? 30_000, retryMs * 2 ** (this.failures - 1));
      const line = { attempt: this.failures, retryInMs: delay };
      if (this.failures === 1 || this.failures % 10 === 0) {
        logger.warn(line, `metagraph: cannot read it from the sidecar: ${errorMessage(error)}`);
      } else {
        logger.debug(line, `metagraph: still cannot read it: ${errorMessage(error)}`);
      }
    }
    this.schedule(delay);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
    this.timer.unref();
  }
}
