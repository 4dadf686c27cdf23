import { epochAt } from '@vstack/chain';
import type { ChainHead, Hyperparameters as WireHyperparameters } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { SidecarError, SidecarErrorCode } from '../errors';
import type { ChainEventSink } from './chain-events';
import type { MetagraphChain } from './metagraph-chain';
import { type SnapshotView, viewOf } from './snapshot';
import type { SnapshotStore } from './snapshot-store';
import {
  ageInBlocks,
  judgeAge,
  type SeenHead,
  type Staleness,
  type StalenessLevel,
  type StalenessLimits,
} from './staleness';

/** Which block a read asks for: the chain head, the newest cached block, or a block number. */
export type BlockChoice = 'latest' | 'recent' | number;

/** A cached answer and how far it trails the chain head. */
export interface CachedAnswer {
  view: SnapshotView;
  staleness: Staleness;
}

/** What readiness reports about the cache. */
export interface CacheStatus {
  head: SeenHead | undefined;
  subnets: { netuid: number; block: number | undefined; ageBlocks: number | undefined }[];
}

export interface NeuronsCacheOptions {
  chain: MetagraphChain;
  store: SnapshotStore;
  events: ChainEventSink;
  limits: StalenessLimits;
  /** Subnets kept fresh from the start: SIDECAR_NETUIDS and the identities' subnets. */
  netuids: readonly number[];
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  clock?: () => number;
  /** Told about each read answered with a staleness warning (soft) or refused (hard). */
  onStaleRead?: (netuid: number, level: Exclude<StalenessLevel, 'fresh'>) => void;
  /** Serialized answers of other blocks kept in memory. Default 32. */
  historySize?: number;
  /** Blocks between two hyperparameters reads of a tracked subnet (for epochs and RPC). Default 10. */
  hyperparametersEveryBlocks?: number;
}

interface Entry {
  view: SnapshotView;
  /** When this replica got it (clock ms); ages it while no head has been seen. */
  storedAt: number;
}

/** How many times a `latest` read waits for a refresh of a newer head before it answers what it has. */
const LATEST_WAIT_ROUNDS = 3;

/**
 * The metagraph cache of the read side. Every new head refreshes each tracked subnet (one refresh at a time;
 * heads that arrive meanwhile fold into the next), keeps each subnet's newest answer serialized in memory and
 * every snapshot in the shared store, and announces new blocks, epochs and metagraph changes. Reads of the
 * head or the newest block answer from memory and are judged by age; reads of other blocks go to memory, the
 * store, then the chain. A subnet asked for that is not tracked yet becomes tracked.
 */
export class NeuronsCache {
  readonly #options: NeuronsCacheOptions;
  readonly #clock: () => number;
  readonly #configured: ReadonlySet<number>;
  readonly #tracked = new Set<number>();
  readonly #latest = new Map<number, Entry>();
  readonly #history = new Map<string, SnapshotView>();
  /** Subnets found missing, with the head number at which they were. */
  readonly #missing = new Map<number, number>();
  readonly #hyperparameters = new Map<number, WireHyperparameters>();
  readonly #epochs = new Map<number, number>();
  readonly #inflight = new Map<string, Promise<unknown>>();
  #head: SeenHead | undefined;
  #timestamp: { hash: string; value: number } | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: NeuronsCacheOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#configured = new Set(options.netuids);
    for (const netuid of options.netuids) this.#tracked.add(netuid);
  }

  /** The staleness limits reads are judged by. */
  get limits(): StalenessLimits {
    return this.#options.limits;
  }

  /** The last head the chain announced. */
  get head(): SeenHead | undefined {
    return this.#head;
  }

  /** Subnets refreshed at every head. */
  get tracked(): readonly number[] {
    return [...this.#tracked].sort((a, b) => a - b);
  }

  /** A new best block: announce it and refresh every tracked subnet at it. */
  onHead(head: { number: number; hash: string }): void {
    if (this.#stopped || this.#head?.hash === head.hash) return;
    this.#head = { number: head.number, hash: head.hash, seenAt: this.#clock() };
    this.#options.events.publish(
      'chain.block.new',
      { block: head.number, hash: head.hash },
      `block:${head.number}:${head.hash}`,
    );
    this.#scheduleRefresh();
  }

  /** Resolves once no refresh is running (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#refreshing) await this.#refreshing;
  }

  /** Stops refreshing and waits for the refresh in hand. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.settled();
    await Promise.allSettled(this.#inflight.values());
  }

  /**
   * The neurons of `netuid` at a block. `latest` and `recent` are judged by age: past the hard limit they throw
   * `cache_stale`. Throws `subnet_not_found`, `block_not_found` or `chain_unavailable` as the chain answers.
   */
  read(netuid: number, block: BlockChoice): Promise<CachedAnswer> {
    if (block === 'latest') return this.#readLatest(netuid);
    if (block === 'recent') return this.#readRecent(netuid);
    return this.#readBlock(netuid, block);
  }

  /**
   * The answer of a `latest` or `recent` read when memory holds it now (for `latest`: the head's), judged by age;
   * undefined when `read` has work to do. Throws `cache_stale` past the hard limit.
   */
  peek(netuid: number, block: BlockChoice): CachedAnswer | undefined {
    if (typeof block === 'number') return undefined;
    const entry = this.#latest.get(netuid);
    if (!entry || !this.#tracked.has(netuid)) return undefined;
    if (block === 'latest' && this.#behind(entry) && this.#options.chain.isReady()) return undefined;
    return this.#answer(netuid, entry);
  }

  /**
   * Like `peek`, without side effects, and only an answer within the soft limit: what may be served without
   * counting or refusing anything.
   */
  fresh(netuid: number, block: 'latest' | 'recent'): CachedAnswer | undefined {
    const entry = this.#latest.get(netuid);
    if (!entry || !this.#tracked.has(netuid)) return undefined;
    if (block === 'latest' && this.#behind(entry) && this.#options.chain.isReady()) return undefined;
    const { limits } = this.#options;
    const ageBlocks = ageInBlocks(
      entry.view.snapshot.block,
      entry.storedAt,
      this.#head,
      this.#clock(),
      limits.blockTimeMs,
    );
    return ageBlocks > limits.softBlocks
      ? undefined
      : { view: entry.view, staleness: { ageBlocks, level: 'fresh' } };
  }

  /** The chain head as last seen, judged by age like a `latest` read. */
  latestBlock(): { head: SeenHead; staleness: Staleness } {
    const head = this.#head;
    if (!head) {
      throw new SidecarError(SidecarErrorCode.ChainUnavailable, 'no block has been seen from the chain yet');
    }
    const staleness = this.#judge(undefined, head.number, head.seenAt);
    return { head, staleness };
  }

  /** The head with its block timestamp (RPC `chain.block.latest`); the timestamp is read once per head. */
  async chainHead(): Promise<ChainHead> {
    const { head } = this.latestBlock();
    if (this.#timestamp?.hash !== head.hash) {
      let value: number;
      try {
        value = await this.#options.chain.timestamp(head.hash);
      } catch (error) {
        this.#options.logger.debug({ err: error }, 'cannot read the head timestamp; using when it was seen');
        value = head.seenAt;
      }
      this.#timestamp = { hash: head.hash, value };
    }
    return { block: head.number, hash: head.hash, timestamp: this.#timestamp.value };
  }

  /** The subnet's hyperparameters as last read (read now when none are cached). */
  async hyperparameters(netuid: number): Promise<WireHyperparameters> {
    const cached = this.#hyperparameters.get(netuid);
    if (cached) return cached;
    const read = await this.#options.chain.hyperparameters(netuid, this.#head?.hash);
    this.#hyperparameters.set(netuid, read);
    return read;
  }

  /** Each cached subnet's age in blocks (the cache-age gauge). */
  ages(): Map<number, number> {
    const now = this.#clock();
    const ages = new Map<number, number>();
    for (const [netuid, entry] of this.#latest) {
      ages.set(
        netuid,
        ageInBlocks(
          entry.view.snapshot.block,
          entry.storedAt,
          this.#head,
          now,
          this.#options.limits.blockTimeMs,
        ),
      );
    }
    return ages;
  }

  /** The head and every tracked subnet's newest block and age. */
  status(): CacheStatus {
    const ages = this.ages();
    return {
      head: this.#head,
      subnets: this.tracked.map((netuid) => ({
        netuid,
        block: this.#latest.get(netuid)?.view.snapshot.block,
        ageBlocks: ages.get(netuid),
      })),
    };
  }

  async #readLatest(netuid: number): Promise<CachedAnswer> {
    this.#assertExists(netuid);
    let entry = this.#latest.get(netuid);
    if (!entry || !this.#tracked.has(netuid)) entry = await this.#track(netuid);
    // The head moved on and its refresh is under way: wait for it rather than answer the previous block.
    for (let round = 0; round < LATEST_WAIT_ROUNDS && this.#behind(entry); round++) {
      if (!this.#options.chain.isReady()) break;
      if (!this.#refreshing) this.#scheduleRefresh();
      await this.#refreshing;
      entry = this.#latest.get(netuid) ?? entry;
    }
    return this.#answer(netuid, entry);
  }

  async #readRecent(netuid: number): Promise<CachedAnswer> {
    const entry = this.#latest.get(netuid);
    if (entry) return this.#answer(netuid, entry);
    this.#assertExists(netuid);
    const stored = await this.#options.store.newest(netuid);
    if (!stored) return this.#readLatest(netuid);
    // Another replica has it: serve that, and keep the subnet fresh from now on.
    const shared: Entry = { view: viewOf(stored.snapshot, stored.neuronsJson), storedAt: this.#clock() };
    this.#latest.set(netuid, shared);
    this.#remember(shared.view);
    if (!this.#tracked.has(netuid)) {
      this.#tracked.add(netuid);
      this.#scheduleRefresh();
    }
    return this.#answer(netuid, shared);
  }

  async #readBlock(netuid: number, block: number): Promise<CachedAnswer> {
    const key = `${netuid}:${block}`;
    let view = this.#history.get(key);
    if (view) {
      // Keep it among the most recently used.
      this.#history.delete(key);
      this.#history.set(key, view);
    } else {
      view = await this.#once(`block:${key}`, async () => {
        const stored = await this.#options.store.get(netuid, block);
        if (stored) return viewOf(stored.snapshot, stored.neuronsJson);
        const snapshot = await this.#options.chain.neurons(netuid, block);
        const neuronsJson = JSON.stringify(snapshot.neurons);
        const putting = this.#options.store.put(snapshot, neuronsJson, false);
        const read = viewOf(snapshot, neuronsJson);
        await putting;
        return read;
      });
      this.#remember(view);
    }
    const now = this.#clock();
    const ageBlocks = ageInBlocks(block, now, this.#head, now, this.#options.limits.blockTimeMs);
    // A block asked for by number is exactly what was asked: its age is reported, never held against it.
    return { view, staleness: { ageBlocks, level: 'fresh' } };
  }

  #answer(netuid: number, entry: Entry): CachedAnswer {
    return { view: entry.view, staleness: this.#judge(netuid, entry.view.snapshot.block, entry.storedAt) };
  }

  #judge(netuid: number | undefined, block: number, storedAt: number): Staleness {
    const { limits } = this.#options;
    const ageBlocks = ageInBlocks(block, storedAt, this.#head, this.#clock(), limits.blockTimeMs);
    const staleness = judgeAge(ageBlocks, limits);
    if (staleness.level !== 'fresh' && netuid !== undefined)
      this.#options.onStaleRead?.(netuid, staleness.level);
    if (staleness.level === 'hard') {
      const what = netuid === undefined ? 'the last block seen' : `the cached metagraph of subnet ${netuid}`;
      throw new SidecarError(
        SidecarErrorCode.CacheStale,
        `${what} is ${ageBlocks} blocks behind the chain head (limit ${limits.hardBlocks}); the chain node is not answering`,
      );
    }
    return staleness;
  }

  #behind(entry: Entry): boolean {
    const head = this.#head;
    return head !== undefined && entry.view.snapshot.hash !== head.hash;
  }

  #assertExists(netuid: number): void {
    const missingAt = this.#missing.get(netuid);
    if (missingAt !== undefined && missingAt === (this.#head?.number ?? -1)) {
      throw new SidecarError(SidecarErrorCode.SubnetNotFound, `subnet ${netuid} does not exist`);
    }
  }

  /** Reads a subnet not tracked yet at the head (or the best block before any head) and tracks it. */
  #track(netuid: number): Promise<Entry> {
    return this.#once(`track:${netuid}`, async () => {
      await this.#refresh(netuid, this.#head);
      const entry = this.#latest.get(netuid);
      if (!entry)
        throw new SidecarError(SidecarErrorCode.ChainUnavailable, `subnet ${netuid} could not be read`);
      this.#tracked.add(netuid);
      return entry;
    });
  }

  #once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = run().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, started);
    return started;
  }

  #scheduleRefresh(): void {
    if (this.#stopped) return;
    if (this.#refreshing) {
      this.#again = true;
      return;
    }
    this.#refreshing = this.#refreshTracked().finally(() => {
      this.#refreshing = undefined;
      if (this.#again) {
        this.#again = false;
        this.#scheduleRefresh();
      }
    });
  }

  async #refreshTracked(): Promise<void> {
    const head = this.#head;
    if (!head) return;
    await Promise.all(this.tracked.map((netuid) => this.#refresh(netuid, head).catch(() => undefined)));
  }

  /** Brings one subnet to `head`: from memory, the shared store, or the chain; announces what changed. */
  async #refresh(netuid: number, head: SeenHead | undefined): Promise<void> {
    try {
      const current = this.#latest.get(netuid);
      if (head && current?.view.snapshot.hash === head.hash) return;
      const stored = head ? await this.#options.store.get(netuid, head.number) : undefined;
      let view: SnapshotView;
      if (stored && stored.snapshot.hash === head?.hash) {
        view = viewOf(stored.snapshot, stored.neuronsJson);
      } else {
        const snapshot = await this.#options.chain.neurons(netuid, head?.hash);
        const neuronsJson = JSON.stringify(snapshot.neurons);
        const putting = this.#options.store.put(snapshot, neuronsJson, true);
        view = viewOf(snapshot, neuronsJson);
        await putting;
      }
      this.#install(netuid, view);
      this.#missing.delete(netuid);
      if (head) await this.#checkEpoch(netuid, head);
    } catch (error) {
      this.#refreshFailed(netuid, head, error);
      throw error;
    }
  }

  #install(netuid: number, view: SnapshotView): void {
    const previous = this.#latest.get(netuid);
    const snapshot = view.snapshot;
    if (previous) {
      const previousBlock = previous.view.snapshot.block;
      // A slower read of an older head must not replace a newer one, unless the chain itself went back
      // (a restarted dev chain, a reorganisation).
      const wentBack = (this.#head?.number ?? snapshot.block) < previousBlock;
      if (snapshot.block < previousBlock && !wentBack) return;
      if (previousBlock !== snapshot.block && previous.view.neuronsJson !== view.neuronsJson) {
        this.#options.events.publish(
          'chain.metagraph.changed',
          { netuid, block: snapshot.block },
          `metagraph:${netuid}:${snapshot.block}:${snapshot.hash}`,
        );
      }
    }
    this.#latest.set(netuid, { view, storedAt: this.#clock() });
    this.#remember(view);
  }

  async #checkEpoch(netuid: number, head: SeenHead): Promise<void> {
    let hp = this.#hyperparameters.get(netuid);
    const every = this.#options.hyperparametersEveryBlocks ?? 10;
    try {
      if (!hp || head.number - hp.block >= every || head.number < hp.block) {
        hp = await this.#options.chain.hyperparameters(netuid, head.hash);
        this.#hyperparameters.set(netuid, hp);
      }
    } catch (error) {
      this.#options.logger.debug(
        { err: error, netuid },
        'cannot read hyperparameters; epochs wait for the next head',
      );
      if (!hp) return;
    }
    if (hp.tempo === 0) return;
    const epoch = epochAt(netuid, hp.tempo, head.number);
    const last = this.#epochs.get(netuid);
    this.#epochs.set(netuid, epoch.index);
    if (last !== undefined && epoch.index > last) {
      this.#options.events.publish(
        'chain.epoch.new',
        { netuid, epoch: epoch.index, block: epoch.startBlock },
        `epoch:${netuid}:${epoch.index}:${epoch.startBlock}`,
      );
    }
  }

  #refreshFailed(netuid: number, head: SeenHead | undefined, error: unknown): void {
    if (error instanceof SidecarError && error.code === SidecarErrorCode.SubnetNotFound) {
      this.#missing.set(netuid, head?.number ?? -1);
      if (!this.#configured.has(netuid)) {
        this.#tracked.delete(netuid);
        this.#latest.delete(netuid);
      }
      return;
    }
    const level =
      error instanceof SidecarError && error.code === SidecarErrorCode.ChainUnavailable ? 'debug' : 'warn';
    this.#options.logger[level](
      { err: error, netuid, block: head?.number },
      'metagraph refresh failed; keeping the cached one',
    );
  }

  #remember(view: SnapshotView): void {
    const key = `${view.snapshot.netuid}:${view.snapshot.block}`;
    this.#history.delete(key);
    this.#history.set(key, view);
    const limit = this.#options.historySize ?? 32;
    while (this.#history.size > limit) {
      const oldest = this.#history.keys().next();
      if (oldest.done) break;
      this.#history.delete(oldest.value);
    }
  }
}
