import { neuronsResponseSchema as wireNeuronsSchema } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { type NeuronsSnapshot, serializeSnapshot } from './snapshot';

/** A snapshot as read back, with its neurons' JSON. */
export interface StoredSnapshot {
  snapshot: NeuronsSnapshot;
  neuronsJson: string;
}

/**
 * Where snapshots are shared between sidecar replicas, one per (netuid, block), plus which block is the newest
 * of each netuid. Failures are not the caller's problem: a store that cannot answer is a miss.
 */
export interface SnapshotStore {
  get(netuid: number, block: number): Promise<StoredSnapshot | undefined>;
  /** Keeps a snapshot; `newest` also makes it the netuid's newest. */
  put(snapshot: NeuronsSnapshot, neuronsJson: string, newest: boolean): Promise<void>;
  /** The netuid's newest snapshot any replica stored. */
  newest(netuid: number): Promise<StoredSnapshot | undefined>;
}

const storedSchema = wireNeuronsSchema.extend({ hash: z.string() });

/** Snapshots in Redis under `<prefix>:sidecar:neurons:<netuid>:<block>`, expiring after `ttlSeconds`. */
export class RedisSnapshotStore implements SnapshotStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  #key(netuid: number, block: number | 'newest'): string {
    return `${this.keyPrefix}${netuid}:${block}`;
  }

  async get(netuid: number, block: number): Promise<StoredSnapshot | undefined> {
    try {
      return this.#parse(await this.redis.get(this.#key(netuid, block)));
    } catch (error) {
      this.logger.warn({ err: error, netuid, block }, 'cannot read a cached metagraph from Redis');
      return undefined;
    }
  }

  async put(snapshot: NeuronsSnapshot, neuronsJson: string, newest: boolean): Promise<void> {
    try {
      const multi = this.redis
        .multi()
        .set(
          this.#key(snapshot.netuid, snapshot.block),
          serializeSnapshot(snapshot, neuronsJson),
          'EX',
          this.ttlSeconds,
        );
      if (newest)
        multi.set(this.#key(snapshot.netuid, 'newest'), String(snapshot.block), 'EX', this.ttlSeconds);
      await multi.exec();
    } catch (error) {
      this.logger.warn(
        { err: error, netuid: snapshot.netuid, block: snapshot.block },
        'cannot cache a metagraph in Redis',
      );
    }
  }

  async newest(netuid: number): Promise<StoredSnapshot | undefined> {
    try {
      const block = await this.redis.get(this.#key(netuid, 'newest'));
      if (block === null || !/^\d+$/.test(block)) return undefined;
      return await this.get(netuid, Number(block));
    } catch (error) {
      this.logger.warn({ err: error, netuid }, 'cannot read the newest cached metagraph from Redis');
      return undefined;
    }
  }

  #parse(text: string | null): StoredSnapshot | undefined {
    if (text === null) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = storedSchema.safeParse(value);
    if (!parsed.success) return undefined;
    return { snapshot: parsed.data, neuronsJson: JSON.stringify(parsed.data.neurons) };
  }
}
