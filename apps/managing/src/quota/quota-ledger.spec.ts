import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/fixtures';
import { InMemoryQuotaCounters } from './quota-counters';
import { QuotaLedger } from './quota-ledger';

class CountingCounters extends InMemoryQuotaCounters {
  reads = 0;

  override read(keys: readonly string[]) {
    this.reads += 1;
    return super.read(keys);
  }
}

function setup() {
  const clock = new ManualClock(6_000_000);
  const counters = new CountingCounters();
  const ledger = new QuotaLedger({
    counters,
    keyPrefix: 'p:quota',
    netuid: 7,
    windowMs: 60_000,
    viewMaxAgeMs: 1_000,
    clock: clock.now,
  });
  return { clock, counters, ledger };
}

describe('the quota ledger', () => {
  it('keys counters by subnet, window and miner', () => {
    const { ledger } = setup();
    expect(ledger.counterKey(100, '3:5Dave')).toBe('p:quota:7:100:3:5Dave');
    expect(ledger.window().index).toBe(100);
  });

  it('reads Redis only when its view is stale, from another window, or lacks a miner', async () => {
    const { clock, counters, ledger } = setup();
    await ledger.usage(['a', 'b']);
    await ledger.usage(['a', 'b']);
    expect(counters.reads).toBe(1);
    await ledger.usage(['a', 'b', 'c']);
    expect(counters.reads).toBe(2);
    clock.advance(1_001);
    await ledger.usage(['a']);
    expect(counters.reads).toBe(3);
    clock.advance(60_000);
    await ledger.usage(['a']);
    expect(counters.reads).toBe(4);
  });

  it("learns from each consume's answer and counts requests in flight as used", async () => {
    const { counters, ledger } = setup();
    await ledger.usage(['a']);
    expect(await ledger.consume([{ minerKey: 'a', quota: 2, syntheticLimit: 1 }], 'synthetic')).toEqual([
      true,
    ]);
    expect((await ledger.usage(['a'])).get('a')).toEqual({ total: 1, synthetic: 1 });
    const inFlight = ledger.consume([{ minerKey: 'a', quota: 2, syntheticLimit: 1 }], 'organic');
    expect((await ledger.usage(['a'])).get('a')).toEqual({ total: 2, synthetic: 1 });
    expect(await inFlight).toEqual([true]);
    expect(await ledger.consume([{ minerKey: 'a', quota: 2, syntheticLimit: 1 }], 'organic')).toEqual([
      false,
    ]);
    expect((await ledger.usage(['a'])).get('a')).toEqual({ total: 2, synthetic: 1 });
    expect(counters.reads).toBe(1);
  });
});
