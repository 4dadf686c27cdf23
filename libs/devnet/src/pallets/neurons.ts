import type { Storage } from '../chain/storage';
import { DispatchFailure } from '../chain/dispatch';

/** SubtensorModule's per-uid vectors (index = uid) and the value a fresh neuron gets in each. */
export const perUidVectors: readonly { name: string; fresh: (block: number) => number | boolean }[] = [
  { name: 'Active', fresh: () => true },
  { name: 'Rank', fresh: () => 0 },
  { name: 'Trust', fresh: () => 0 },
  { name: 'Consensus', fresh: () => 0 },
  { name: 'Incentive', fresh: () => 0 },
  { name: 'Dividends', fresh: () => 0 },
  { name: 'Emission', fresh: () => 0 },
  { name: 'ValidatorTrust', fresh: () => 0 },
  { name: 'PruningScores', fresh: () => 0 },
  { name: 'ValidatorPermit', fresh: () => false },
  { name: 'LastUpdate', fresh: (block) => block },
];

const subtensor = 'SubtensorModule';

/** The netuids that exist (NetworksAdded), ascending. */
export function netuids(storage: Storage): number[] {
  return storage
    .keys(subtensor, 'NetworksAdded')
    .map((key) => {
      // Identity-hashed u16 key: the last two bytes, little-endian.
      const low = Number.parseInt(key.slice(-4, -2), 16);
      const high = Number.parseInt(key.slice(-2), 16);
      return low | (high << 8);
    })
    .filter((netuid) => storage.subBool('NetworksAdded', netuid))
    .sort((a, b) => a - b);
}

/** The uid of a hotkey on a subnet, if it is registered there. */
export function uidOf(storage: Storage, netuid: number, hotkey: string): number | undefined {
  const uid = storage.sub('Uids', netuid, hotkey);
  return uid.isEmpty ? undefined : Number(uid.toJSON());
}

/** The uid a new registration replaces on a full subnet: lowest pruning score, non-immune first. */
function uidToPrune(storage: Storage, netuid: number, block: number): number | undefined {
  const n = storage.subNumber('SubnetworkN', netuid);
  const immunity = storage.subNumber('ImmunityPeriod', netuid);
  const scores = storage.subNumbers('PruningScores', netuid);
  let best: { uid: number; immune: boolean; score: number } | undefined;
  for (let uid = 0; uid < n; uid++) {
    const immune = block - storage.subNumber('BlockAtRegistration', netuid, uid) < immunity;
    const score = scores[uid] ?? 0;
    if (!best || (best.immune && !immune) || (best.immune === immune && score < best.score)) {
      best = { uid, immune, score };
    }
  }
  return best?.uid;
}

/**
 * Registers a hotkey on a subnet as subtensor does: the next uid while there is room, else the neuron with
 * the lowest pruning score is replaced. Returns the uid.
 */
export function registerNeuron(
  storage: Storage,
  netuid: number,
  hotkey: string,
  coldkey: string,
  block: number,
): number {
  const n = storage.subNumber('SubnetworkN', netuid);
  let uid: number;
  if (n < storage.subNumber('MaxAllowedUids', netuid)) {
    uid = n;
    storage.subSet('SubnetworkN', [netuid], n + 1);
    for (const vector of perUidVectors) {
      storage.subSet(
        vector.name,
        [netuid],
        [...storage.subNumbers(vector.name, netuid), vector.fresh(block)],
      );
    }
  } else {
    const pruned = uidToPrune(storage, netuid, block);
    if (pruned === undefined) throw new DispatchFailure(subtensor, 'NoNeuronIdAvailable');
    uid = pruned;
    const previous = storage.sub('Keys', netuid, uid).toString();
    storage.subRemove('Uids', netuid, previous);
    storage.subRemove('IsNetworkMember', previous, netuid);
    storage.subRemove('Axons', netuid, previous);
    storage.subRemove('Prometheus', netuid, previous);
    storage.subRemove('Weights', netuid, uid);
    storage.subRemove('Bonds', netuid, uid);
    for (const vector of perUidVectors) {
      const values: (number | boolean)[] = storage.subNumbers(vector.name, netuid);
      values[uid] = vector.fresh(block);
      storage.subSet(vector.name, [netuid], values);
    }
  }
  writeNeuron(storage, netuid, uid, hotkey, coldkey, block);
  return uid;
}

/** The entries that make `hotkey` neuron `uid` of a subnet (the per-uid vectors aside). */
export function writeNeuron(
  storage: Storage,
  netuid: number,
  uid: number,
  hotkey: string,
  coldkey: string,
  block: number,
): void {
  storage.subSet('Keys', [netuid, uid], hotkey);
  storage.subSet('Uids', [netuid, hotkey], uid);
  storage.subSet('IsNetworkMember', [hotkey, netuid], true);
  storage.subSet('BlockAtRegistration', [netuid, uid], block);
  if (storage.sub('Owner', hotkey).isEmpty) {
    storage.subSet('Owner', [hotkey], coldkey);
    const owned = storage.sub('OwnedHotkeys', coldkey).toJSON() as string[];
    storage.subSet('OwnedHotkeys', [coldkey], [...owned, hotkey]);
  }
}

/** The per-hotkey stake entries of a change of stake (the subnet's and chain's totals aside). */
export function writeStake(
  storage: Storage,
  netuid: number,
  hotkey: string,
  coldkey: string,
  amount: bigint,
): void {
  const total = storage.subBigInt('TotalHotkeyAlpha', hotkey, netuid) + amount;
  const own = (storage.sub('Alpha', hotkey, coldkey, netuid).toJSON() as { bits: number | string }).bits;
  const ownAlpha = (BigInt(own) >> 64n) + amount;
  storage.subSet('TotalHotkeyAlpha', [hotkey, netuid], total);
  storage.subSet('TotalHotkeyShares', [hotkey, netuid], { bits: total << 64n });
  storage.subSet('Alpha', [hotkey, coldkey, netuid], { bits: ownAlpha << 64n });
  const staking = storage.sub('StakingHotkeys', coldkey).toJSON() as string[];
  if (!staking.includes(hotkey)) storage.subSet('StakingHotkeys', [coldkey], [...staking, hotkey]);
}

/** Adds to the subnet's and the chain's total stake. */
export function writeStakeTotals(storage: Storage, netuid: number, amount: bigint): void {
  storage.subSet('TotalStake', [], storage.subBigInt('TotalStake') + amount);
  storage.subSet('SubnetAlphaOut', [netuid], storage.subBigInt('SubnetAlphaOut', netuid) + amount);
}

/** Adds (or with a negative amount removes) stake from coldkey on hotkey in a subnet; 1 TAO buys 1 alpha. */
export function changeStake(
  storage: Storage,
  netuid: number,
  hotkey: string,
  coldkey: string,
  amount: bigint,
): void {
  writeStake(storage, netuid, hotkey, coldkey, amount);
  writeStakeTotals(storage, netuid, amount);
}

/** The account's free balance in rao. */
export function freeBalance(storage: Storage, address: string): bigint {
  const account = storage.get('System', 'Account', address).toJSON() as { data: { free: number | string } };
  return BigInt(account.data.free);
}

/** Sets the account's free balance, creating the account when needed. */
export function setFreeBalance(storage: Storage, address: string, free: bigint): void {
  const account = storage.get('System', 'Account', address).toJSON() as {
    nonce: number;
    providers: number;
    data: Record<string, unknown>;
  };
  storage.set('System', 'Account', [address], {
    ...account,
    providers: Math.max(1, account.providers),
    data: { ...account.data, free },
  });
}
