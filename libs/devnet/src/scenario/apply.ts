import type { Hex } from '../chain/state';
import type { Storage } from '../chain/storage';
import {
  freeBalance,
  netuids,
  perUidVectors,
  setFreeBalance,
  writeNeuron,
  writeStake,
  writeStakeTotals,
} from '../pallets/neurons';
import { topKByStake } from '../pallets/epoch';
import type { SubtensorRuntime } from '../runtime/subtensor-runtime';
import { endowmentRao, type Hyperparameters, type Scenario } from './scenario';

/** The storage item behind each scenario hyperparameter, and how its value is stored. */
const hyperparameterItems: { [K in keyof Hyperparameters]: string } = {
  tempo: 'Tempo',
  weightsRateLimit: 'WeightsSetRateLimit',
  commitRevealEnabled: 'CommitRevealWeightsEnabled',
  revealPeriodEpochs: 'RevealPeriodEpochs',
  weightsVersionKey: 'WeightsVersionKey',
  minAllowedWeights: 'MinAllowedWeights',
  maxWeightsLimit: 'MaxWeightsLimit',
  maxAllowedUids: 'MaxAllowedUids',
  maxAllowedValidators: 'MaxAllowedValidators',
  immunityPeriod: 'ImmunityPeriod',
  activityCutoff: 'ActivityCutoff',
  burn: 'Burn',
  registrationAllowed: 'NetworkRegistrationAllowed',
  maxRegistrationsPerBlock: 'MaxRegistrationsPerBlock',
  servingRateLimit: 'ServingRateLimit',
  emissionPerBlock: 'EmissionValues',
};

/** Writes hyperparameters of a subnet to their storage items. */
export function writeHyperparameters(
  storage: Storage,
  netuid: number,
  values: Partial<Hyperparameters>,
): void {
  for (const [name, value] of Object.entries(values) as [keyof Hyperparameters, unknown][]) {
    if (value !== undefined) storage.subSet(hyperparameterItems[name], [netuid], value);
  }
}

interface SubnetScopedItem {
  name: string;
  /** True when the netuid is the map's only key (one entry per subnet), else the first of several. */
  single: boolean;
}

const scopedItems = new WeakMap<SubtensorRuntime, SubnetScopedItem[]>();

/** SubtensorModule maps keyed first by a netuid (u16, readable hasher), so a subnet's entries share a prefix. */
function netuidKeyedItems(runtime: SubtensorRuntime): SubnetScopedItem[] {
  let items = scopedItems.get(runtime);
  if (!items) {
    const { registry } = runtime;
    const pallet = runtime.metadata.asLatest.pallets.find(
      (entry) => entry.name.toString() === 'SubtensorModule',
    );
    items = [];
    for (const item of pallet?.storage.unwrap().items ?? []) {
      if (!item.type.isMap) continue;
      const key = registry.lookup.getSiType(item.type.asMap.key).def;
      const first = key.isTuple ? key.asTuple[0] : item.type.asMap.key;
      const firstDef = first ? registry.lookup.getSiType(first).def : undefined;
      const hasher = item.type.asMap.hashers[0];
      if (
        firstDef?.isPrimitive &&
        firstDef.asPrimitive.type === 'U16' &&
        (hasher?.isIdentity || hasher?.isTwox64Concat)
      ) {
        items.push({ name: item.name.toString(), single: !key.isTuple });
      }
    }
    scopedItems.set(runtime, items);
  }
  return items;
}

/** Removes a subnet and everything stored under it, so a scenario can set it up afresh. */
export function removeSubnet(storage: Storage, netuid: number): void {
  const n = storage.subNumber('SubnetworkN', netuid);
  for (let uid = 0; uid < n; uid++) {
    const hotkey = storage.sub('Keys', netuid, uid).toString();
    const owner = storage.sub('Owner', hotkey).toString();
    storage.subRemove('IsNetworkMember', hotkey, netuid);
    storage.subRemove('TotalHotkeyAlpha', hotkey, netuid);
    storage.subRemove('TotalHotkeyShares', hotkey, netuid);
    storage.subRemove('Alpha', hotkey, owner, netuid);
  }
  const prefixes: Hex[] = [];
  for (const { name, single } of netuidKeyedItems(storage.runtime)) {
    if (single) storage.subRemove(name, netuid);
    else prefixes.push(storage.item('SubtensorModule', name).prefix(netuid));
  }
  for (const key of storage.keysUnder(prefixes)) storage.removeKey(key);
  storage.subSet('TotalNetworks', [], netuids(storage).length);
}

/**
 * Sets up a scenario's subnets in storage, each from scratch (an existing netuid is removed first):
 * hyperparameters, neurons registered in order (uid = position), stake from each coldkey, axons, and
 * validator permits (the flagged neurons, or the top-k by stake when none is flagged). Accounts the
 * scenario names get endowmentRao unless the scenario sets their balance.
 */
export function applyScenario(storage: Storage, scenario: Scenario, block: number): void {
  const listed = new Set(scenario.balances.map((entry) => entry.account));
  const named = new Set(
    scenario.subnets.flatMap((subnet) => subnet.neurons.flatMap((n) => [n.hotkey, n.coldkey])),
  );
  for (const account of named) {
    if (!listed.has(account) && freeBalance(storage, account) === 0n) {
      setFreeBalance(storage, account, endowmentRao);
    }
  }
  for (const { account, free } of scenario.balances) setFreeBalance(storage, account, free);
  if (scenario.stakeThreshold !== undefined) storage.subSet('StakeThreshold', [], scenario.stakeThreshold);

  for (const subnet of scenario.subnets) {
    const { netuid, hyperparameters, neurons } = subnet;
    if (storage.subBool('NetworksAdded', netuid)) removeSubnet(storage, netuid);
    storage.subSet('NetworksAdded', [netuid], true);
    storage.subSet('NetworkRegisteredAt', [netuid], block);
    storage.subSet('SubnetMechanism', [netuid], 1);
    storage.subSet('TotalNetworks', [], netuids(storage).length);
    const owner = neurons[0]?.coldkey;
    if (owner) storage.subSet('SubnetOwner', [netuid], owner);
    writeHyperparameters(storage, netuid, hyperparameters);

    storage.subSet('SubnetworkN', [netuid], neurons.length);
    let staked = 0n;
    neurons.forEach((neuron, uid) => {
      writeNeuron(storage, netuid, uid, neuron.hotkey, neuron.coldkey, block);
      if (neuron.stake > 0n) writeStake(storage, netuid, neuron.hotkey, neuron.coldkey, neuron.stake);
      staked += neuron.stake;
      if (neuron.axon) {
        const { ip, ipType, port, protocol, version } = neuron.axon;
        storage.subSet('Axons', [netuid, neuron.hotkey], {
          block,
          version,
          ip,
          port,
          ipType,
          protocol,
          placeholder1: 0,
          placeholder2: 0,
        });
      }
    });
    writeStakeTotals(storage, netuid, staked);
    for (const vector of perUidVectors) {
      storage.subSet(
        vector.name,
        [netuid],
        neurons.map(() => vector.fresh(block)),
      );
    }
    // Scenario neurons count as registered long ago: they may set weights at once.
    storage.subSet(
      'LastUpdate',
      [netuid],
      neurons.map(() => 0),
    );
    const flagged = neurons.some((neuron) => neuron.validator !== undefined);
    storage.subSet(
      'ValidatorPermit',
      [netuid],
      flagged
        ? neurons.map((neuron) => neuron.validator === true)
        : topKByStake(
            neurons.map((neuron) => neuron.stake),
            hyperparameters.maxAllowedValidators,
          ),
    );
  }
}
