import { SelectionReasonCode } from '@vstack/contracts';
import { describe, expect, it } from 'vitest';
import { hotkeys, minerHotkey, neuron, validator } from '../../test/fixtures';
import { testStack } from '../../test/stack';
import { InMemoryQuotaCounters } from '../quota/quota-counters';

const capacity = { defaultCapacity: 10, minCapacity: 1, maxCapacity: 1_000 };
// Alice holds all the eligible stake: her quota on each miner is the miner's whole capacity.
const validators = [validator(0, hotkeys.alice, 1_000n), validator(1, hotkeys.bob, 0n, false)];
const miners = [1, 2, 3, 4].map((uid) => neuron(uid, minerHotkey(uid)));

async function stack(options: Parameters<typeof testStack>[1] = {}) {
  const counters = new InMemoryQuotaCounters();
  const test = testStack(counters, { capacity, ...options });
  await test.load([...validators, ...miners]);
  return { ...test, counters };
}

describe('miner selection', () => {
  it('says the metagraph is missing before the first one', async () => {
    const test = testStack(new InMemoryQuotaCounters());
    expect(await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' })).toEqual({
      miners: [],
      reasonCode: SelectionReasonCode.NoMetagraph,
      reason: 'the metagraph has not been read from the sidecar yet',
    });
  });

  it('hands out nothing when this validator is not eligible', async () => {
    const test = await stack({ validatorHotkey: hotkeys.bob });
    const result = await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' });
    expect(result.reasonCode).toBe(SelectionReasonCode.ValidatorNotEligible);
    expect(result.reason).toContain('permit false');
  });

  it('picks distinct miners that serve the task type and takes one request from each quota', async () => {
    const test = testStack(new InMemoryQuotaCounters(), { capacity });
    test.status.declare(miners[3]!, { taskTypes: ['embedding'] });
    await test.load([...validators, ...miners]);
    const result = await test.selector.select({ taskType: 'arithmetic', count: 3, purpose: 'synthetic' });
    expect(result.reasonCode).toBeUndefined();
    expect(result.miners.map((miner) => miner.uid).sort()).toEqual([1, 2, 3]);
    const usage = await test.ledger.usage(result.miners.map((miner) => miner.key));
    expect([...usage.values()]).toEqual(Array(3).fill({ total: 1, synthetic: 1 }));
    const embedding = await test.selector.select({ taskType: 'embedding', count: 2, purpose: 'organic' });
    expect(embedding.miners.map((miner) => miner.uid)).toEqual([4]);
    expect(embedding.reasonCode).toBe(SelectionReasonCode.TaskTypeNotServed);
    expect(embedding.reason).toBe('1 of 2 miners for embedding: only 1 serves it');
    expect(await test.selector.select({ taskType: 'poetry', count: 1, purpose: 'organic' })).toMatchObject({
      miners: [],
      reasonCode: SelectionReasonCode.TaskTypeNotServed,
      reason: 'no miner serves poetry',
    });
  });

  it('sees a task type a miner starts declaring later, and a hotkey that takes over a uid', async () => {
    const test = testStack(new InMemoryQuotaCounters(), { capacity, statusIntervalMs: 1_000 });
    await test.load([...validators, ...miners]);
    const ask = () => test.selector.select({ taskType: 'embedding', count: 1, purpose: 'organic' });
    expect((await ask()).reasonCode).toBe(SelectionReasonCode.TaskTypeNotServed);
    test.status.declare(miners[0]!, { taskTypes: ['embedding'] });
    test.clock.advance(1_000);
    await test.declarations.refresh(test.registry.snapshot()?.miners ?? []);
    expect((await ask()).miners.map((miner) => miner.uid)).toEqual([1]);
    await test.load([
      ...validators,
      neuron(1, minerHotkey(1, 1), { axon: miners[0]!.axon }),
      ...miners.slice(1),
    ]);
    expect((await ask()).miners.map((miner) => miner.hotkey)).toEqual([minerHotkey(1, 1)]);
  });

  it('says when every miner serving the task type is failing, and skips failing ones otherwise', async () => {
    const test = await stack({
      circuit: { failureThreshold: 1, openMs: 1_000, maxOpenMs: 1_000, probeTimeoutMs: 1_000 },
    });
    const all = test.registry.snapshot()?.miners ?? [];
    for (const miner of all.slice(0, 3)) test.health.report(miner.key, false, 0);
    const some = await test.selector.select({ taskType: 'arithmetic', count: 2, purpose: 'organic' });
    expect(some.miners.map((miner) => miner.uid)).toEqual([4]);
    expect(some.reasonCode).toBe(SelectionReasonCode.MinersUnhealthy);
    test.health.report(all[3]!.key, false, 0);
    expect(
      await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' }),
    ).toMatchObject({
      miners: [],
      reasonCode: SelectionReasonCode.MinersUnhealthy,
      reason: 'all 4 miners serving arithmetic are failing (circuit open)',
    });
  });

  it('lets synthetic work use only its share of each quota, and organic work the rest', async () => {
    // Quota 10 per miner, synthetic share 0.3: 3 synthetic requests per miner, 12 in all.
    const test = await stack();
    const picks: number[] = [];
    for (;;) {
      const result = await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'synthetic' });
      if (result.miners.length === 0) {
        expect(result.reasonCode).toBe(SelectionReasonCode.QuotaExhausted);
        break;
      }
      picks.push(result.miners[0]!.uid);
    }
    expect(picks).toHaveLength(12);
    let organic = 0;
    while (
      (await test.selector.select({ taskType: 'arithmetic', count: 2, purpose: 'organic' })).miners.length > 0
    ) {
      organic += 1;
    }
    expect(organic).toBe(14);
    const last = await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' });
    expect(last.reason).toBe(
      'the organic quota on all 4 miners serving arithmetic is used up in this window',
    );
  });

  it('sends organic work to the top fraction by score, weighted by score', async () => {
    const test = await stack({ topFraction: { synthetic: 1, organic: 0.5 } });
    const [one, two, three, four] = test.registry.snapshot()?.miners ?? [];
    test.scoring.answer = [
      { uid: one!.uid, hotkey: one!.hotkey, score: 0.9 },
      { uid: two!.uid, hotkey: two!.hotkey, score: 0.3 },
      { uid: three!.uid, hotkey: three!.hotkey, score: 0.1 },
      { uid: four!.uid, hotkey: four!.hotkey, score: 0 },
    ];
    await test.scores.refresh('arithmetic');
    const counts = new Map<number, number>();
    for (let i = 0; i < 8; i++) {
      const [miner] = (await test.selector.select({ taskType: 'arithmetic', count: 1, purpose: 'organic' }))
        .miners;
      counts.set(miner!.uid, (counts.get(miner!.uid) ?? 0) + 1);
    }
    expect([...counts.keys()].every((uid) => uid === 1 || uid === 2)).toBe(true);
    const partial = await test.selector.select({ taskType: 'arithmetic', count: 3, purpose: 'organic' });
    expect(partial.reasonCode).toBe(SelectionReasonCode.ScoreCutoff);
    // Synthetic work still reaches every miner, so low scorers keep being measured.
    const synthetic = await test.selector.select({ taskType: 'arithmetic', count: 4, purpose: 'synthetic' });
    expect(synthetic.miners).toHaveLength(4);
  });

  it('lets a single probe through to a half-open miner however many selections run at once', async () => {
    const test = await stack({
      circuit: { failureThreshold: 1, openMs: 1_000, maxOpenMs: 1_000, probeTimeoutMs: 60_000 },
    });
    const all = test.registry.snapshot()?.miners ?? [];
    for (const miner of all) test.health.report(miner.key, false, 0);
    test.clock.advance(1_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        test.selector.select({ taskType: 'arithmetic', count: 4, purpose: 'organic' }),
      ),
    );
    const probed = results.flatMap((result) => result.miners.map((miner) => miner.uid));
    expect(probed.sort()).toEqual([1, 2, 3, 4]);
  });
});
