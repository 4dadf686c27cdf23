import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RedisChainEvents } from './chain-events';
import { serializeSnapshot, type NeuronsSnapshot } from './snapshot';
import { RedisSnapshotStore } from './snapshot-store';

const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('sidecar_store');
const silent = { warn: () => undefined, debug: () => undefined };

const snapshot: NeuronsSnapshot = {
  netuid: 3,
  block: 120,
  hash: `0x${'12'.repeat(32)}`,
  neurons: [
    {
      uid: 0,
      hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
      coldkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
      active: true,
      axon: { ip: '10.0.0.1', port: 8091, protocol: 4 },
      stake: '18446744073709551615',
      validatorPermit: true,
      incentive: 0.5,
      consensus: 0.25,
      dividends: 1,
      emission: '1000000000',
      validatorTrust: 0.75,
      lastUpdate: 100,
      blockAtRegistration: 2,
    },
  ],
};

describe('snapshots and event claims in Redis', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
  });

  it('keeps a snapshot per (netuid, block) with an expiry, and the newest block per netuid', async () => {
    const store = new RedisSnapshotStore(redis, `${prefix}:neurons:`, 60, silent);
    const neuronsJson = JSON.stringify(snapshot.neurons);
    await store.put(snapshot, neuronsJson, true);
    await store.put({ ...snapshot, block: 100 }, neuronsJson, false);
    expect(await store.get(3, 120)).toEqual({ snapshot, neuronsJson });
    expect((await store.newest(3))?.snapshot.block).toBe(120);
    expect(await store.get(3, 121)).toBeUndefined();
    expect(await store.newest(4)).toBeUndefined();
    const ttl = await redis.ttl(`${prefix}:neurons:3:120`);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('treats an unreadable entry as a miss', async () => {
    const store = new RedisSnapshotStore(redis, `${prefix}:bad:`, 60, silent);
    await redis.set(`${prefix}:bad:3:1`, '{"netuid":3');
    await redis.set(
      `${prefix}:bad:3:2`,
      serializeSnapshot({ ...snapshot, hash: 7 as unknown as string }, '[]'),
    );
    expect(await store.get(3, 1)).toBeUndefined();
    expect(await store.get(3, 2)).toBeUndefined();
  });

  it('lets one replica of several announce an occurrence', async () => {
    const emitted: unknown[] = [];
    const client = {
      emit: (event: string, payload: unknown) => {
        emitted.push([event, payload]);
        return Promise.resolve();
      },
    };
    const replicas = [1, 2, 3].map(() => new RedisChainEvents(client, redis, `${prefix}:events:`, silent));
    const payload = { block: 7, hash: `0x${'34'.repeat(32)}` };
    for (const replica of replicas) replica.publish('chain.block.new', payload, `block:7:${payload.hash}`);
    replicas[0]?.publish('chain.block.new', { ...payload, block: 8 }, 'block:8');
    await vi.waitFor(() => {
      expect(emitted).toHaveLength(2);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emitted).toEqual([
      ['chain.block.new', payload],
      ['chain.block.new', { ...payload, block: 8 }],
    ]);
  });
});
