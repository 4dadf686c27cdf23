import { Redis } from 'ioredis';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EpistulaErrorCode } from './errors';
import { MemoryReplayCache, RedisReplayCache } from './replay-cache';
import { signEpistulaRequest } from './sign';
import { epistulaRefusal, ManualClock, type TestKeys, testKeys, testSignerPolicy } from './test-support';
import { EpistulaVerifier } from './verify';

const redisUrl = inject('redisUrl');
const prefix = `${uniqueTestName('epistula replay')}:`;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const UUID = '3b241101-e2bb-4255-8caf-4136c566a962';
let keys: TestKeys;

beforeAll(async () => {
  keys = await testKeys();
});

afterAll(async () => {
  await deleteRedisKeysWithPrefix(redisUrl, prefix);
  redis.disconnect();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('MemoryReplayCache', () => {
  it('refuses a pair within its window and accepts it again once the window has passed', () => {
    const clock = new ManualClock(0);
    const cache = new MemoryReplayCache({ clock: clock.read });
    expect(cache.firstSeen(ALICE, UUID, 10_000)).toBe(true);
    clock.now = 9_999;
    expect(cache.firstSeen(ALICE, UUID, 10_000)).toBe(false);
    expect(cache.firstSeen(BOB, UUID, 10_000)).toBe(true);
    clock.now = 10_000;
    expect(cache.firstSeen(ALICE, UUID, 10_000)).toBe(true);
    expect(cache.size).toBe(2);
  });

  it('forgets expired pairs as time passes, so memory follows the request rate', () => {
    const clock = new ManualClock(0);
    const cache = new MemoryReplayCache({ clock: clock.read });
    for (let index = 0; index < 5_000; index += 1) {
      clock.now = index;
      cache.firstSeen(ALICE, `${index}`, 1_000);
    }
    expect(cache.size).toBe(1_000);
  });

  it('when full, forgets the pair closest to expiry first', () => {
    const clock = new ManualClock(0);
    const cache = new MemoryReplayCache({ clock: clock.read, maxEntries: 2 });
    cache.firstSeen(ALICE, 'a', 10_000);
    cache.firstSeen(ALICE, 'b', 10_000);
    cache.firstSeen(ALICE, 'c', 10_000);
    expect(cache.size).toBe(2);
    expect(cache.firstSeen(ALICE, 'c', 10_000)).toBe(false);
    expect(cache.firstSeen(ALICE, 'b', 10_000)).toBe(false);
    expect(cache.firstSeen(ALICE, 'a', 10_000)).toBe(true);
  });
});

describe('RedisReplayCache (real Redis)', () => {
  it('sets one key per sender and UUID under the prefix, with the window as expiry', async () => {
    const cache = new RedisReplayCache(redis, { keyPrefix: prefix });
    expect(await cache.firstSeen(ALICE, UUID, 5_000)).toBe(true);
    expect(await cache.firstSeen(ALICE, UUID, 5_000)).toBe(false);
    expect(await cache.firstSeen(BOB, UUID, 5_000)).toBe(true);
    const ttl = await redis.pttl(`${prefix}${ALICE}:${UUID}`);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
  });

  it('through the verifier: a replay within the window gets 409, after expiry it is accepted again', async () => {
    // The fixed clock keeps the timestamp valid while Redis expires the key in real time.
    const T = 1_700_000_000_000;
    const clock = new ManualClock(T);
    const verifier = new EpistulaVerifier({
      hotkey: keys.miner.address,
      signerPolicy: testSignerPolicy(keys),
      replayCache: new RedisReplayCache(redis, { keyPrefix: `${prefix}verifier:` }),
      maxAgeMs: 250,
      maxFutureMs: 50,
      clock: clock.read,
    });
    expect(verifier.replayWindowMs).toBe(300);
    const body = Buffer.from('{"n":1}');
    const { headers } = signEpistulaRequest(keys.validator, body, {
      signedFor: keys.miner.address,
      timestamp: T,
    });

    await expect(verifier.verify(headers, body)).resolves.toMatchObject({ signedBy: keys.validator.address });
    const replay = await epistulaRefusal(verifier.verify(headers, body));
    expect(replay).toMatchObject({ code: EpistulaErrorCode.Replayed, httpStatus: 409 });
    await sleep(450);
    await expect(verifier.verify(headers, body)).resolves.toBeDefined();
  });

  it('lets exactly one of many concurrent copies of a request through', async () => {
    const T = Date.now();
    const verifier = new EpistulaVerifier({
      hotkey: keys.miner.address,
      signerPolicy: testSignerPolicy(keys),
      replayCache: new RedisReplayCache(redis, { keyPrefix: `${prefix}race:` }),
      clock: () => T,
    });
    const body = Buffer.from('{"n":2}');
    const { headers } = signEpistulaRequest(keys.validator, body, {
      signedFor: keys.miner.address,
      timestamp: T,
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => verifier.verify(headers, body)),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(outcome.reason).toMatchObject({ code: EpistulaErrorCode.Replayed });
    }
  });

  it('answers 503 when Redis cannot be reached', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      const cache = new RedisReplayCache(unreachable, { keyPrefix: prefix });
      const error = await epistulaRefusal(Promise.resolve().then(() => cache.firstSeen(ALICE, UUID, 1_000)));
      expect(error).toMatchObject({ code: EpistulaErrorCode.ReplayCacheUnavailable, httpStatus: 503 });
    } finally {
      unreachable.disconnect();
    }
  });
});
