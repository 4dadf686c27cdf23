import type { EventPayload, Hyperparameters as WireHyperparameters } from '@vstack/contracts';
import type { NeuronsResponse } from '@vstack/sidecar-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { SidecarError, SidecarErrorCode } from '../errors';
import type { ChainEventName, ChainEventSink } from './chain-events';
import type { MetagraphChain } from './metagraph-chain';
import { NeuronsCache, type NeuronsCacheOptions } from './neurons-cache';
import { type NeuronsSnapshot, serializeSnapshot } from './snapshot';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

type WireNeuron = NeuronsSnapshot['neurons'][number];

const hashOf = (block: number, chain = 0): string =>
  `0x${chain.toString(16).padStart(8, '0')}${block.toString(16).padStart(56, '0')}`;

function neuron(uid: number, stake = '1000000000'): WireNeuron {
  return {
    uid,
    hotkey: `hotkey-${uid}`,
    coldkey: `coldkey-${uid}`,
    active: true,
    axon: { ip: '10.0.0.1', port: 8000 + uid, protocol: 4 },
    stake,
    validatorPermit: uid === 0,
    incentive: 0,
    consensus: 0,
    dividends: 0,
    emission: '0',
    validatorTrust: 0,
    lastUpdate: 0,
    blockAtRegistration: 0,
  };
}

function deferred(): { promise: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/** A chain whose subnets have the same neurons at every block; `gate` holds reads back. */
class FakeChain implements MetagraphChain {
  ready = true;
  head = 0;
  /** Which chain (a restart starts another) the hashes belong to. */
  generation = 0;
  tempo = 3;
  gate: Promise<void> | undefined;
  readonly subnets = new Map<number, WireNeuron[]>([[1, [neuron(0), neuron(1)]]]);
  readonly reads: { netuid: number; at: string | number | undefined }[] = [];
  timestampReads = 0;

  isReady(): boolean {
    return this.ready;
  }

  #blockOf(at: string | number | undefined): number {
    if (at === undefined) return this.head;
    if (typeof at === 'number') {
      if (at > this.head)
        throw new SidecarError(SidecarErrorCode.BlockNotFound, `block ${at} does not exist`);
      return at;
    }
    return Number.parseInt(at.slice(10), 16);
  }

  async neurons(netuid: number, at: string | number | undefined): Promise<NeuronsSnapshot> {
    this.reads.push({ netuid, at });
    if (!this.ready) throw new SidecarError(SidecarErrorCode.ChainUnavailable, 'away');
    await this.gate;
    const neurons = this.subnets.get(netuid);
    if (!neurons) throw new SidecarError(SidecarErrorCode.SubnetNotFound, `subnet ${netuid} does not exist`);
    const block = this.#blockOf(at);
    return { netuid, block, hash: hashOf(block, this.generation), neurons: structuredClone(neurons) };
  }

  hyperparameters(netuid: number, at?: string | number): Promise<WireHyperparameters> {
    if (!this.subnets.has(netuid)) {
      return Promise.reject(
        new SidecarError(SidecarErrorCode.SubnetNotFound, `subnet ${netuid} does not exist`),
      );
    }
    return Promise.resolve({
      netuid,
      block: this.#blockOf(at),
      tempo: this.tempo,
      weightsRateLimit: 30,
      weightsVersion: 0,
      commitRevealEnabled: false,
      commitRevealPeriod: 1,
      minAllowedWeights: 1,
      maxWeightsLimit: 65_535,
      immunityPeriod: 4096,
      activityCutoff: 5000,
      maxValidators: 64,
      servingRateLimit: 50,
      registrationAllowed: true,
    });
  }

  timestamp(hash: string): Promise<number> {
    this.timestampReads++;
    return Promise.resolve(1_700_000_000_000 + this.#blockOf(hash) * 12_000);
  }

  readsOf(netuid: number): (string | number | undefined)[] {
    return this.reads.filter((read) => read.netuid === netuid).map((read) => read.at);
  }
}

/** The shared store of replicas, in memory. */
class MemoryStore implements SnapshotStore {
  readonly values = new Map<string, string>();
  readonly newestBlock = new Map<number, number>();

  get(netuid: number, block: number): Promise<StoredSnapshot | undefined> {
    const text = this.values.get(`${netuid}:${block}`);
    if (text === undefined) return Promise.resolve(undefined);
    const snapshot = JSON.parse(text) as NeuronsSnapshot;
    return Promise.resolve({ snapshot, neuronsJson: JSON.stringify(snapshot.neurons) });
  }

  put(snapshot: NeuronsSnapshot, neuronsJson: string, newest: boolean): Promise<void> {
    this.values.set(`${snapshot.netuid}:${snapshot.block}`, serializeSnapshot(snapshot, neuronsJson));
    if (newest) this.newestBlock.set(snapshot.netuid, snapshot.block);
    return Promise.resolve();
  }

  newest(netuid: number): Promise<StoredSnapshot | undefined> {
    const block = this.newestBlock.get(netuid);
    return block === undefined ? Promise.resolve(undefined) : this.get(netuid, block);
  }
}

class RecordedEvents implements ChainEventSink {
  readonly published: { event: ChainEventName; payload: unknown }[] = [];

  publish<E extends ChainEventName>(event: E, payload: EventPayload<E>): void {
    this.published.push({ event, payload });
  }

  of(event: ChainEventName): unknown[] {
    return this.published.filter((entry) => entry.event === event).map((entry) => entry.payload);
  }
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined };

describe('the metagraph cache', () => {
  let chain: FakeChain;
  let store: MemoryStore;
  let events: RecordedEvents;
  let now: number;
  let staleReads: [number, string][];
  let cache: NeuronsCache;

  function newCache(options: Partial<NeuronsCacheOptions> = {}): NeuronsCache {
    return new NeuronsCache({
      chain,
      store,
      events,
      limits: { softBlocks: 2, hardBlocks: 4, blockTimeMs: 1_000 },
      netuids: [1],
      logger: silent,
      clock: () => now,
      onStaleRead: (netuid, level) => staleReads.push([netuid, level]),
      ...options,
    });
  }

  async function head(block: number): Promise<void> {
    chain.head = block;
    cache.onHead({ number: block, hash: hashOf(block, chain.generation) });
    await cache.settled();
  }

  beforeEach(() => {
    chain = new FakeChain();
    store = new MemoryStore();
    events = new RecordedEvents();
    now = 1_000_000;
    staleReads = [];
    cache = newCache();
  });

  it('reads each tracked subnet once per head and answers `latest` from memory with the same bytes', async () => {
    await head(10);
    const first = await cache.read(1, 'latest');
    const second = await cache.read(1, 'latest');
    expect(first.view.snapshot.block).toBe(10);
    expect(second.view.neuronsBody).toBe(first.view.neuronsBody);
    expect(first.staleness).toEqual({ ageBlocks: 0, level: 'fresh' });
    expect(chain.readsOf(1)).toEqual([hashOf(10)]);
    expect(store.values.has('1:10')).toBe(true);
    expect(store.newestBlock.get(1)).toBe(10);
  });

  it('takes a head another replica already read from the shared store instead of the chain', async () => {
    chain.head = 10;
    const shared = await chain.neurons(1, 10);
    chain.reads.length = 0;
    await store.put(shared, JSON.stringify(shared.neurons), true);
    await head(10);
    expect((await cache.read(1, 'latest')).view.snapshot.hash).toBe(hashOf(10));
    expect(chain.reads).toEqual([]);
  });

  it('ages by wall clock while the chain is away: a warning past the soft limit, cache_stale past the hard one', async () => {
    await head(10);
    chain.ready = false;
    now += 2_999;
    expect((await cache.read(1, 'latest')).staleness).toEqual({ ageBlocks: 2, level: 'fresh' });
    now += 1;
    expect((await cache.read(1, 'latest')).staleness).toEqual({ ageBlocks: 3, level: 'soft' });
    expect((await cache.read(1, 'recent')).staleness.level).toBe('soft');
    now += 2_000;
    const refused = await cache.read(1, 'latest').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SidecarError);
    expect(refused).toMatchObject({ code: SidecarErrorCode.CacheStale, httpStatus: 503 });
    expect(() => cache.latestBlock()).toThrow(/behind the chain head/);
    expect(staleReads).toEqual([
      [1, 'soft'],
      [1, 'soft'],
      [1, 'hard'],
    ]);
    expect(cache.ages().get(1)).toBe(5);

    // The chain comes back: the next head brings the age back to zero.
    chain.ready = true;
    await head(11);
    expect((await cache.read(1, 'latest')).staleness).toEqual({ ageBlocks: 0, level: 'fresh' });
    expect(cache.latestBlock().head.number).toBe(11);
  });

  it('hands out fresh answers from memory without side effects, and nothing it would have to judge', async () => {
    expect(cache.fresh(1, 'latest')).toBeUndefined();
    await head(10);
    expect(cache.fresh(1, 'latest')?.view).toBe((await cache.read(1, 'latest')).view);
    expect(cache.fresh(2, 'recent')).toBeUndefined();
    // The head moved on and its refresh is under way: `latest` is not in memory yet, `recent` is.
    const gate = deferred();
    chain.gate = gate.promise;
    chain.head = 11;
    cache.onHead({ number: 11, hash: hashOf(11) });
    expect(cache.fresh(1, 'latest')).toBeUndefined();
    expect(cache.fresh(1, 'recent')?.view.snapshot.block).toBe(10);
    gate.release();
    await cache.settled();
    chain.ready = false;
    now += 3_000;
    expect(cache.peek(1, 'latest')?.staleness.level).toBe('soft');
    expect(cache.fresh(1, 'latest')).toBeUndefined();
    expect(staleReads).toEqual([[1, 'soft']]);
  });

  it('answers `latest` for a head that just arrived once its refresh is done', async () => {
    await head(10);
    const gate = deferred();
    chain.gate = gate.promise;
    chain.head = 11;
    cache.onHead({ number: 11, hash: hashOf(11) });
    let answered: number | undefined;
    const reading = cache.read(1, 'latest').then((answer) => (answered = answer.view.snapshot.block));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(answered).toBeUndefined();
    // `recent` does not wait: it is the newest cached block, whatever the head.
    expect((await cache.read(1, 'recent')).view.snapshot.block).toBe(10);
    gate.release();
    await reading;
    expect(answered).toBe(11);
  });

  it('runs one refresh at a time and folds the heads that arrive meanwhile into the next one', async () => {
    await head(10);
    const gate = deferred();
    chain.gate = gate.promise;
    for (const block of [11, 12, 13]) {
      chain.head = block;
      cache.onHead({ number: block, hash: hashOf(block) });
    }
    gate.release();
    await cache.settled();
    expect(chain.readsOf(1)).toEqual([hashOf(10), hashOf(11), hashOf(13)]);
    expect(events.of('chain.block.new')).toHaveLength(4);
  });

  it('takes `recent` of a subnet it has not cached from the shared store, then keeps that subnet fresh', async () => {
    await head(10);
    chain.subnets.set(5, [neuron(0)]);
    const shared = await chain.neurons(5, 9);
    chain.reads.length = 0;
    await store.put(shared, JSON.stringify(shared.neurons), true);
    // The answer does not wait for the chain, which is held back here.
    const gate = deferred();
    chain.gate = gate.promise;
    const answer = await cache.read(5, 'recent');
    expect(answer.view.snapshot.block).toBe(9);
    expect(answer.staleness.ageBlocks).toBe(1);
    expect(cache.tracked).toEqual([1, 5]);
    gate.release();
    await head(11);
    expect(chain.readsOf(5)).toEqual([hashOf(10), hashOf(11)]);
  });

  it('reads a block by number from memory, then the store, then the chain, and keeps it in the store', async () => {
    await head(10);
    const answer = await cache.read(1, 2);
    expect(answer.view.snapshot.block).toBe(2);
    // Past the hard limit, yet what was asked for: a numbered block is never refused as stale.
    expect(answer.staleness).toEqual({ ageBlocks: 8, level: 'fresh' });
    expect(store.values.has('1:2')).toBe(true);
    expect(store.newestBlock.get(1)).toBe(10);
    await cache.read(1, 2);
    expect(chain.readsOf(1)).toEqual([hashOf(10), 2]);

    const other = newCache();
    expect((await other.read(1, 2)).view.snapshot.block).toBe(2);
    expect(chain.readsOf(1)).toEqual([hashOf(10), 2]);

    await expect(cache.read(1, 99)).rejects.toMatchObject({ code: SidecarErrorCode.BlockNotFound });
  });

  it('reads a subnet nobody configured when asked, then refreshes it at every head', async () => {
    chain.subnets.set(2, [neuron(0), neuron(1), neuron(2)]);
    await head(10);
    expect(chain.readsOf(2)).toEqual([]);
    const answer = JSON.parse((await cache.read(2, 'latest')).view.neuronsBody.toString()) as NeuronsResponse;
    expect(Object.keys(answer.neurons)).toHaveLength(3);
    await head(11);
    expect(chain.readsOf(2)).toEqual([hashOf(10), hashOf(11)]);
  });

  it('answers subnet_not_found for an unknown subnet, asking the chain once per head', async () => {
    await head(10);
    await expect(cache.read(9, 'latest')).rejects.toMatchObject({ code: SidecarErrorCode.SubnetNotFound });
    await expect(cache.read(9, 'recent')).rejects.toMatchObject({ code: SidecarErrorCode.SubnetNotFound });
    expect(chain.readsOf(9)).toHaveLength(1);
    expect(cache.tracked).toEqual([1]);
    await head(11);
    await expect(cache.read(9, 'latest')).rejects.toMatchObject({ code: SidecarErrorCode.SubnetNotFound });
    expect(chain.readsOf(9)).toHaveLength(2);
  });

  it('answers chain_unavailable when the chain is away and nothing is cached', async () => {
    chain.ready = false;
    await expect(cache.read(1, 'latest')).rejects.toMatchObject({
      code: SidecarErrorCode.ChainUnavailable,
      httpStatus: 503,
    });
    expect(() => cache.latestBlock()).toThrow(SidecarError);
  });

  it('announces each head, a metagraph that changed, and each new epoch', async () => {
    // netuid 1, tempo 3: epochs start where (block + 2) % 4 == 0, i.e. at 14, 18, ...
    await head(10);
    await head(11);
    expect(events.of('chain.block.new')).toEqual([
      { block: 10, hash: hashOf(10) },
      { block: 11, hash: hashOf(11) },
    ]);
    expect(events.of('chain.metagraph.changed')).toEqual([]);
    chain.subnets.set(1, [neuron(0), neuron(1, '2000000000')]);
    await head(12);
    await head(13);
    expect(events.of('chain.metagraph.changed')).toEqual([{ netuid: 1, block: 12 }]);
    expect(events.of('chain.epoch.new')).toEqual([]);
    await head(14);
    await head(15);
    expect(events.of('chain.epoch.new')).toEqual([{ netuid: 1, epoch: 4, block: 14 }]);
  });

  it('ignores the same head announced twice (a renewed subscription)', async () => {
    await head(10);
    cache.onHead({ number: 10, hash: hashOf(10) });
    await cache.settled();
    expect(events.of('chain.block.new')).toHaveLength(1);
    expect(chain.readsOf(1)).toHaveLength(1);
  });

  it('follows a restarted chain whose head went back', async () => {
    await head(50);
    chain.generation = 1;
    await head(3);
    const answer = await cache.read(1, 'latest');
    expect(answer.view.snapshot).toMatchObject({ block: 3, hash: hashOf(3, 1) });
    expect(answer.staleness.level).toBe('fresh');
  });

  it('reads the head timestamp once per head for chain.block.latest, and hyperparameters from the cache', async () => {
    await head(10);
    expect(await cache.chainHead()).toEqual({ block: 10, hash: hashOf(10), timestamp: 1_700_000_120_000 });
    await cache.chainHead();
    expect(chain.timestampReads).toBe(1);
    expect(await cache.hyperparameters(1)).toMatchObject({ netuid: 1, block: 10, tempo: 3 });
    await expect(cache.hyperparameters(9)).rejects.toMatchObject({ code: SidecarErrorCode.SubnetNotFound });
  });

  it('reports each tracked subnet and its age for readiness', async () => {
    expect(cache.status().subnets).toEqual([{ netuid: 1, block: undefined, ageBlocks: undefined }]);
    await head(10);
    now += 3_000;
    expect(cache.status()).toMatchObject({
      head: { number: 10 },
      subnets: [{ netuid: 1, block: 10, ageBlocks: 3 }],
    });
  });
});
