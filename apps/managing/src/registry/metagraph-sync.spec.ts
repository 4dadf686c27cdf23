import type { RpcResponse } from '@vstack/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hotkeys, minerHotkey, neuron, silentLogger, validator } from '../../test/fixtures';
import { type MetagraphSource, MetagraphSync } from './metagraph-sync';
import { MinerRegistry } from './miner-registry';

class ScriptedSource implements MetagraphSource {
  calls = 0;
  failuresLeft = 0;
  block = 100;
  gate: Promise<void> | undefined;

  async neurons(netuid: number): Promise<RpcResponse<'chain.neurons'>> {
    this.calls += 1;
    await this.gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('sidecar did not answer chain.neurons within 5000 ms');
    }
    return {
      netuid,
      block: this.block,
      neurons: [validator(0, hotkeys.alice, 1_000n), neuron(1, minerHotkey(1))],
    };
  }
}

function setup(source: MetagraphSource) {
  const registry = new MinerRegistry({
    netuid: 1,
    validatorHotkey: hotkeys.alice,
    minValidatorStake: 0n,
    requireValidatorPermit: true,
  });
  const sync = new MetagraphSync({
    source,
    registry,
    logger: silentLogger(),
    refreshMs: 60_000,
    retryMs: 1_000,
    maxRetryMs: 4_000,
  });
  return { registry, sync };
}

describe('the metagraph sync', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with backoff while the sidecar is away and fills the registry once it answers', async () => {
    const source = new ScriptedSource();
    source.failuresLeft = 4;
    const { registry, sync } = setup(source);
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls).toBe(1);
    expect(registry.snapshot()).toBeUndefined();
    // Retries after 1 s, 2 s, 4 s, 4 s (capped).
    await vi.advanceTimersByTimeAsync(999);
    expect(source.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(source.calls).toBe(3);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(source.calls).toBe(4);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(source.calls).toBe(5);
    expect(registry.snapshot()?.block).toBe(100);
    // Then it re-reads every refreshMs.
    source.block = 101;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls).toBe(6);
    expect(registry.snapshot()?.block).toBe(101);
    sync.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(source.calls).toBe(6);
  });

  it('reads once more after the read in flight when asked during it, not once per ask', async () => {
    const source = new ScriptedSource();
    let open: () => void = () => undefined;
    source.gate = new Promise((resolve) => {
      open = resolve;
    });
    const { sync } = setup(source);
    sync.start();
    const during = sync.refresh();
    void sync.refresh();
    open();
    await during;
    expect(source.calls).toBe(2);
    sync.stop();
  });
});
