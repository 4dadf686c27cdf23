import type { ChainConnection, Metagraph, SubtensorClient } from '@vstack/chain';
import type { SignerStanding } from '@vstack/epistula';
import type { Logger } from '@vstack/observability';
import { MinerProxyError, MinerProxyErrorCode } from './errors';

/** Block time of subtensor, used to age a metagraph when no new head arrives. */
export const BLOCK_TIME_MS = 12_000;

/** What the proxy knows about the metagraph right now. */
export interface MetagraphStatus {
  netuid: number;
  /** Block of the cached metagraph, or undefined before the first read. */
  block: number | undefined;
  /** Newest head seen. */
  head: number | undefined;
  /** Age of the cached metagraph in blocks (by head, or by time when heads stop). */
  ageBlocks: number | undefined;
  stale: boolean;
  neurons: number;
}

/**
 * The cached metagraph the checks read. `standing` answers from memory and throws a MinerProxyError
 * (`metagraph_unavailable` / `metagraph_stale`, 503) rather than guess.
 */
export interface MetagraphSource {
  standing(hotkey: string): SignerStanding | undefined;
  status(): MetagraphStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const METAGRAPH_SOURCE = Symbol('miner-proxy:metagraph-source');

/** Holds the last metagraph snapshot and judges its age; the chain-backed source and tests feed it. */
export class MetagraphCache {
  private byHotkey = new Map<string, SignerStanding>();
  private block: number | undefined;
  private head: number | undefined;
  private loadedAt = 0;

  constructor(
    readonly netuid: number,
    private readonly maxAgeBlocks: number,
    private readonly clock: () => number = Date.now,
  ) {}

  update(metagraph: {
    block: number;
    neurons: readonly Pick<Metagraph['neurons'][number], 'hotkey' | 'validatorPermit' | 'stake'>[];
  }): void {
    const next = new Map<string, SignerStanding>();
    for (const neuron of metagraph.neurons) {
      next.set(neuron.hotkey, { validatorPermit: neuron.validatorPermit, stake: neuron.stake });
    }
    this.byHotkey = next;
    this.block = metagraph.block;
    this.loadedAt = this.clock();
    if (this.head === undefined || this.head < metagraph.block) this.head = metagraph.block;
  }

  noteHead(block: number): void {
    if (this.head === undefined || block > this.head) this.head = block;
  }

  status(): MetagraphStatus {
    const base = { netuid: this.netuid, block: this.block, head: this.head, neurons: this.byHotkey.size };
    if (this.block === undefined) return { ...base, ageBlocks: undefined, stale: true };
    const byHead = (this.head ?? this.block) - this.block;
    const byTime = Math.floor((this.clock() - this.loadedAt) / BLOCK_TIME_MS);
    const ageBlocks = Math.max(byHead, byTime);
    return { ...base, ageBlocks, stale: ageBlocks > this.maxAgeBlocks };
  }

  standing(hotkey: string): SignerStanding | undefined {
    const status = this.status();
    if (status.block === undefined) {
      throw new MinerProxyError(
        MinerProxyErrorCode.MetagraphUnavailable,
        `the metagraph of subnet ${this.netuid} has not been read yet`,
      );
    }
    if (status.stale) {
      throw new MinerProxyError(
        MinerProxyErrorCode.MetagraphStale,
        `the cached metagraph of subnet ${this.netuid} is ${status.ageBlocks ?? '?'} blocks old (limit ${this.maxAgeBlocks})`,
      );
    }
    return this.byHotkey.get(hotkey);
  }
}

/**
 * The metagraph from the chain: read at start, again on every new head and every block time, one read at a time;
 * requests only ever read the cache.
 */
export class ChainMetagraphSource implements MetagraphSource {
  private refreshing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly cache: MetagraphCache,
    private readonly connection: ChainConnection,
    private readonly client: Pick<SubtensorClient, 'metagraph'>,
    private readonly logger: Logger,
  ) {}

  standing(hotkey: string): SignerStanding | undefined {
    return this.cache.standing(hotkey);
  }

  status(): MetagraphStatus {
    return this.cache.status();
  }

  /** Connects in the background so the proxy starts (and answers 503) while the chain is away. */
  start(): Promise<void> {
    this.timer = setInterval(() => {
      this.refresh();
    }, BLOCK_TIME_MS);
    this.timer.unref();
    this.connection.on('ready', () => {
      void this.subscribe();
      this.refresh();
    });
    this.connection.connect().catch((error: unknown) => {
      this.logger.error({ err: error }, 'the chain connection failed; metagraph checks answer 503');
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.refreshing;
    await this.connection.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      this.unsubscribe?.();
      const api = await this.connection.ready();
      this.unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
        this.cache.noteHead(header.number.toNumber());
        this.refresh();
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot subscribe to new heads');
    }
  }

  private refresh(): void {
    if (this.stopped) return;
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.client
      .metagraph(this.cache.netuid)
      .then(
        (metagraph) => {
          this.cache.update(metagraph);
        },
        (error: unknown) => {
          this.logger.warn({ err: error }, 'metagraph refresh failed; keeping the cached one');
        },
      )
      .finally(() => {
        this.refreshing = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }
}

/** A fixed metagraph, for tests and private deployments. */
export class StaticMetagraphSource implements MetagraphSource {
  constructor(readonly cache: MetagraphCache) {}

  standing(hotkey: string): SignerStanding | undefined {
    return this.cache.standing(hotkey);
  }

  status(): MetagraphStatus {
    return this.cache.status();
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
