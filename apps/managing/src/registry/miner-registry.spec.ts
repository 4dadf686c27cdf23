import { describe, expect, it } from 'vitest';
import { hotkeys, minerHotkey, neuron, NO_AXON, TAO, validator } from '../../test/fixtures';
import { hasServedAxon, MinerRegistry, type RegistryChange } from './miner-registry';

function registry() {
  return new MinerRegistry({
    netuid: 1,
    validatorHotkey: hotkeys.alice,
    minValidatorStake: 0n,
    requireValidatorPermit: true,
  });
}

const base = [
  validator(0, hotkeys.alice, 100_000n),
  validator(1, hotkeys.bob, 50_000n),
  neuron(2, minerHotkey(2)),
  neuron(3, minerHotkey(3)),
  neuron(4, minerHotkey(4), { axon: NO_AXON }),
];

describe('the miner registry', () => {
  it('holds the neurons with a served axon, never this validator, and its standing', () => {
    const miners = registry();
    expect(miners.snapshot()).toBeUndefined();
    // This validator serves an axon too: it is still not one of its own miners.
    const aliceServing = neuron(0, hotkeys.alice, { stake: 100_000n * TAO, validatorPermit: true });
    miners.apply({ netuid: 1, block: 10, neurons: [aliceServing, ...base.slice(1)] });
    const snapshot = miners.snapshot();
    expect(snapshot?.miners.map((miner) => miner.uid)).toEqual([2, 3]);
    expect(snapshot?.miners[0]).toMatchObject({ uid: 2, hotkey: minerHotkey(2), key: `2:${minerHotkey(2)}` });
    expect(snapshot?.validator).toMatchObject({ uid: 0, eligible: true, stake: 100_000n * TAO });
  });

  it('treats a uid that changes hotkey as a new miner', () => {
    const miners = registry();
    const changes: RegistryChange[] = [];
    miners.onChange((change) => changes.push(change));
    miners.apply({ netuid: 1, block: 10, neurons: base });
    miners.apply({
      netuid: 1,
      block: 11,
      neurons: [...base.slice(0, 3), neuron(3, minerHotkey(3, 1)), neuron(5, minerHotkey(5))],
    });
    const last = changes.at(-1);
    expect(last?.added.map((miner) => miner.key)).toEqual([`3:${minerHotkey(3, 1)}`, `5:${minerHotkey(5)}`]);
    expect(last?.removed.map((miner) => miner.key)).toEqual([`3:${minerHotkey(3)}`]);
    expect(miners.miner(3, minerHotkey(3))).toBeUndefined();
    expect(miners.miner(3, minerHotkey(3, 1))?.uid).toBe(3);
  });

  it('ignores an older metagraph and another subnet', () => {
    const miners = registry();
    miners.apply({ netuid: 1, block: 10, neurons: base });
    expect(miners.apply({ netuid: 1, block: 9, neurons: [] })).toBeUndefined();
    expect(miners.apply({ netuid: 2, block: 11, neurons: [] })).toBeUndefined();
    expect(miners.snapshot()?.miners).toHaveLength(2);
    expect(miners.apply({ netuid: 1, block: 10, neurons: base })?.added).toEqual([]);
  });
});

describe('hasServedAxon', () => {
  it('is false for the axon of a neuron that never served', () => {
    expect(hasServedAxon({ ip: '0.0.0.0', port: 0, protocol: 0 })).toBe(false);
    expect(hasServedAxon({ ip: '::', port: 8091, protocol: 6 })).toBe(false);
    expect(hasServedAxon({ ip: '10.1.2.3', port: 0, protocol: 4 })).toBe(false);
    expect(hasServedAxon({ ip: '10.1.2.3', port: 8091, protocol: 4 })).toBe(true);
    expect(hasServedAxon({ ip: '2001:db8::1', port: 8091, protocol: 6 })).toBe(true);
  });
});
