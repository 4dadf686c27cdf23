import { SelectionReasonCode } from '@vstack/contracts';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONSUME_COUNTERS_LUA, LuaScript, RedisQuotaCounters } from '../src/quota/quota-counters';
import { hotkeys, minerHotkey, neuron, validator } from './fixtures';
import { type TestStack, testStack } from './stack';

// The quota rules against a real Redis: every counter lives under this file's own prefix.
const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('managing-quota');
let redis: Redis;
let counters: RedisQuotaCounters;
let stacks = 0;

const WINDOW_MS = 600_000;
const validators = [
  validator(0, hotkeys.alice, 600_000n),
  validator(1, hotkeys.bob, 300_000n),
  validator(2, hotkeys.charlie, 100_000n),
];
const miners = [3, 4, 5, 6].map((uid) => neuron(uid, minerHotkey(uid)));

/** A stack whose counters are its own (a fresh key prefix under this file's). */
async function stack(options: Parameters<typeof testStack>[1] = {}): Promise<TestStack> {
  stacks += 1;
  const test = testStack(counters, {
    keyPrefix: `${prefix}:${stacks}:quota`,
    windowMs: WINDOW_MS,
    ...options,
  });
  await test.load([...validators, ...miners]);
  return test;
}

async function drain(test: TestStack, purpose: 'synthetic' | 'organic', taskType = 'arithmetic') {
  const picks = new Map<number, number>();
  for (;;) {
    const result = await test.selector.select({ taskType, count: 1, purpose });
    const [miner] = result.miners;
    if (!miner) return { picks, last: result };
    picks.set(miner.uid, (picks.get(miner.uid) ?? 0) + 1);
  }
}

beforeAll(() => {
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  counters = new RedisQuotaCounters(redis);
});

afterAll(async () => {
  await deleteRedisKeysWithPrefix(redisUrl, prefix);
  redis.disconnect();
});

describe('quotas in Redis', () => {
  it('give each validator max(1, floor(capacity × stake / Σ eligible stake)) on every miner', async () => {
    // Alice 60 %, Bob 30 %, Charlie 10 % of 1,000,000 TAO; capacity 256 → 153, 76, 25 per miner.
    for (const [hotkey, quota] of [
      [hotkeys.alice, 153],
      [hotkeys.bob, 76],
      [hotkeys.charlie, 25],
    ] as const) {
      const test = await stack({ validatorHotkey: hotkey });
      const { picks, last } = await drain(test, 'organic');
      expect([...picks.values()]).toEqual([quota, quota, quota, quota]);
      expect(last.reasonCode).toBe(SelectionReasonCode.QuotaExhausted);
      const key = test.ledger.counterKey(test.ledger.window().index, `3:${minerHotkey(3)}`);
      expect(await redis.hget(key, 't')).toBe(String(quota));
    }
  });

  it('start again in the next window, and counters expire after two windows', async () => {
    const test = await stack({ validatorHotkey: hotkeys.charlie });
    test.clock.nowMs = Math.ceil(test.clock.nowMs / WINDOW_MS) * WINDOW_MS + WINDOW_MS - 5_000;
    const first = test.ledger.window();
    const before = await drain(test, 'organic');
    expect([...before.picks.values()]).toEqual([25, 25, 25, 25]);
    test.clock.advance(4_999);
    expect(
      (await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' })).miners,
    ).toEqual([]);
    test.clock.advance(1);
    expect(test.ledger.window().index).toBe(first.index + 1);
    const after = await drain(test, 'organic');
    expect([...after.picks.values()]).toEqual([25, 25, 25, 25]);
    const oldKey = test.ledger.counterKey(first.index, `3:${minerHotkey(3)}`);
    const ttl = await redis.pttl(oldKey);
    expect(ttl).toBeGreaterThan(2 * WINDOW_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(2 * WINDOW_MS);
  });

  it('never overshoot under 1,000 concurrent consumes', async () => {
    const key = `${prefix}:concurrent:one`;
    const results = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        counters.consume([{ key, quota: 100, syntheticLimit: 30 }], 'organic', WINDOW_MS),
      ),
    );
    expect(results.filter(([result]) => result?.granted).length).toBe(100);
    expect(await redis.hgetall(key)).toEqual({ t: '100' });
    // The highest total any caller saw is the quota: no caller ever saw it exceeded.
    expect(Math.max(...results.map(([result]) => result?.usage.total ?? 0))).toBe(100);
  });

  it('never overshoot under 1,000 concurrent selections from two processes sharing Redis', async () => {
    const shared = `${prefix}:shared:quota`;
    const one = await stack({ validatorHotkey: hotkeys.charlie, keyPrefix: shared, seed: 1 });
    const two = await stack({ validatorHotkey: hotkeys.charlie, keyPrefix: shared, seed: 2 });
    const selections = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        (i % 2 === 0 ? one : two).selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' }),
      ),
    );
    const picks = selections.flatMap((result) => result.miners.map((miner) => miner.uid));
    expect(picks).toHaveLength(100);
    for (const uid of [3, 4, 5, 6]) expect(picks.filter((picked) => picked === uid)).toHaveLength(25);
    const window = one.ledger.window().index;
    for (const miner of one.registry.snapshot()?.miners ?? []) {
      expect(await redis.hget(one.ledger.counterKey(window, miner.key), 't')).toBe('25');
    }
  });

  it('let synthetic work use only its share of a quota, and organic work all that is left', async () => {
    const key = `${prefix}:synthetic:one`;
    const synthetic = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        counters.consume([{ key, quota: 100, syntheticLimit: 30 }], 'synthetic', WINDOW_MS),
      ),
    );
    expect(synthetic.filter(([result]) => result?.granted).length).toBe(30);
    const organic = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        counters.consume([{ key, quota: 100, syntheticLimit: 30 }], 'organic', WINDOW_MS),
      ),
    );
    expect(organic.filter(([result]) => result?.granted).length).toBe(70);
    expect(await redis.hgetall(key)).toEqual({ t: '100', s: '30' });

    // Through selection: Alice's 153 per miner, of which floor(153 × 0.3) = 45 synthetic.
    const test = await stack();
    const syntheticPicks = await drain(test, 'synthetic');
    expect([...syntheticPicks.picks.values()]).toEqual([45, 45, 45, 45]);
    expect(syntheticPicks.last.reasonCode).toBe(SelectionReasonCode.QuotaExhausted);
    const organicPicks = await drain(test, 'organic');
    expect([...organicPicks.picks.values()]).toEqual([108, 108, 108, 108]);
  });

  it('run a script by its SHA, loading it the first time Redis does not know it', async () => {
    // A source no Redis has seen (the comment makes it unique), so the first EVALSHA gets NOSCRIPT.
    const script = new LuaScript(`${CONSUME_COUNTERS_LUA}-- ${prefix}\n`);
    expect(await redis.script('EXISTS', script.sha)).toEqual([0]);
    const key = `${prefix}:script:one`;
    expect(await script.run(redis, [key], [WINDOW_MS, 'o', 1, 0])).toEqual([1, 1, 0]);
    expect(await redis.script('EXISTS', script.sha)).toEqual([1]);
    expect(await script.run(redis, [key], [WINDOW_MS, 'o', 1, 0])).toEqual([0, 1, 0]);
  });
});

describe('the circuit breaker with selection on Redis', () => {
  it('opens after consecutive failures, probes once half-open, and closes on success', async () => {
    const test = await stack({
      circuit: { failureThreshold: 3, openMs: 10_000, maxOpenMs: 60_000, probeTimeoutMs: 30_000 },
    });
    const ask = () => test.selector.select({ taskType: 'arithmetic', count: 4, purpose: 'organic' });
    const failing = test.registry.snapshot()?.miners[0];
    if (!failing) throw new Error('no miner');
    for (let i = 0; i < 3; i++) test.health.report(failing.key, false, 0);
    expect(test.health.state(failing.key)).toBe('open');
    const whileOpen = await ask();
    expect(whileOpen.miners.map((miner) => miner.uid)).not.toContain(failing.uid);
    expect(whileOpen.reasonCode).toBe(SelectionReasonCode.MinersUnhealthy);

    test.clock.advance(10_000);
    expect(test.health.state(failing.key)).toBe('half_open');
    const probe = await ask();
    expect(probe.miners.map((miner) => miner.uid)).toContain(failing.uid);
    // While the probe is out, nobody else gets the miner.
    expect((await ask()).miners.map((miner) => miner.uid)).not.toContain(failing.uid);

    test.health.report(failing.key, true, 150);
    expect(test.health.state(failing.key)).toBe('closed');
    expect((await ask()).miners.map((miner) => miner.uid)).toContain(failing.uid);
  });
});

describe('selection frequencies', () => {
  it('follow the quota left over 10,000 seeded draws', async () => {
    // Capacity 100,000 on each miner (all of it Alice's); 0, 25k, 50k and 75k already used this window, so
    // 100k, 75k, 50k and 25k are left: the draws should split 40 / 30 / 20 / 10 %.
    const test = await stack({
      validatorHotkey: hotkeys.alice,
      eligibility: { minValidatorStake: 0n, requireValidatorPermit: true },
      capacity: { defaultCapacity: 166_667, minCapacity: 1, maxCapacity: 1_000_000 },
      seed: 2026,
    });
    // 166,667 × 0.6 = 100,000 for Alice.
    const window = test.ledger.window().index;
    const all = test.registry.snapshot()?.miners ?? [];
    const used = [0, 25_000, 50_000, 75_000];
    for (const [i, miner] of all.entries()) {
      await redis.hset(test.ledger.counterKey(window, miner.key), 't', used[i] ?? 0);
    }
    const counts = new Map<number, number>();
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const [miner] = (await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' }))
        .miners;
      if (miner) counts.set(miner.uid, (counts.get(miner.uid) ?? 0) + 1);
    }
    // Expected counts follow the quota left as it shrinks (by at most 4 % of it over the run).
    const expected = [0.4, 0.3, 0.2, 0.1];
    let chiSquare = 0;
    for (const [i, miner] of all.entries()) {
      const observed = counts.get(miner.uid) ?? 0;
      const p = expected[i] ?? 0;
      expect(Math.abs(observed - draws * p)).toBeLessThan(4 * Math.sqrt(draws * p * (1 - p)));
      chiSquare += (observed - draws * p) ** 2 / (draws * p);
    }
    // 3 degrees of freedom: 16.27 is the 0.999 quantile.
    expect(chiSquare).toBeLessThan(16.27);
  }, 60_000);
});
