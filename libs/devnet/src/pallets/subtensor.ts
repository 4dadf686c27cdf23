import type { Codec } from '@polkadot/types/types';
import { u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import {
  type BlockContext,
  type CallInfo,
  type DispatchContext,
  DispatchFailure,
  type RuntimeLogic,
} from '../chain/dispatch';
import { codecBigInt, codecNumber, type Storage } from '../chain/storage';
import { runEpoch } from './epoch';
import { changeStake, freeBalance, netuids, registerNeuron, setFreeBalance, uidOf } from './neurons';
import {
  blocksUntilNextEpoch,
  epochIndex,
  isMaxWeightLimited,
  isSelfWeight,
  maxUpscale,
  revealWindow,
  weightsCommitHash,
} from './weights';

const pallet = 'SubtensorModule';
/** Subtensor keeps at most this many unrevealed hash commits per hotkey and subnet. */
const maxUnrevealedCommits = 10;
/** The smallest stake subtensor accepts in add_stake (DefaultMinStake), in rao. */
const minStake = 500_000n;

function fail(error: string): never {
  throw new DispatchFailure(pallet, error);
}

function ensure(condition: boolean, error: string): asserts condition {
  if (!condition) fail(error);
}

function numbers(codec: Codec): number[] {
  return (codec as unknown as Codec[]).map(codecNumber);
}

function arg(call: CallInfo, index: number): Codec {
  const value = call.args[index];
  if (!value) throw new Error(`${call.section}.${call.method} has no argument ${index}`);
  return value;
}

type Commit = [string, number, number, number];

/**
 * SubtensorModule's rules that the stack depends on, with the checks in subtensor's order and its own
 * errors (pallets/subtensor/src/subnets/{weights,serving,registration}.rs, staking/add_stake.rs), plus the
 * block hook that runs epochs at tempo boundaries. Also System.remark and Balances transfers.
 */
export class SubtensorLogic implements RuntimeLogic {
  private readonly calls: Record<string, (context: DispatchContext, call: CallInfo) => void> = {
    'subtensorModule.setWeights': (context, call) => {
      const netuid = codecNumber(arg(call, 0));
      ensure(!context.storage.subBool('CommitRevealWeightsEnabled', netuid), 'CommitRevealEnabled');
      this.setWeights(
        context,
        netuid,
        numbers(arg(call, 1)),
        numbers(arg(call, 2)),
        codecBigInt(arg(call, 3)),
      );
    },
    'subtensorModule.commitWeights': (context, call) => {
      this.commitWeights(context, codecNumber(arg(call, 0)), arg(call, 1).toHex());
    },
    'subtensorModule.revealWeights': (context, call) => {
      this.revealWeights(
        context,
        codecNumber(arg(call, 0)),
        numbers(arg(call, 1)),
        numbers(arg(call, 2)),
        numbers(arg(call, 3)),
        codecBigInt(arg(call, 4)),
      );
    },
    'subtensorModule.commitTimelockedWeights': (context, call) => {
      this.commitTimelocked(
        context,
        codecNumber(arg(call, 0)),
        arg(call, 1),
        codecBigInt(arg(call, 2)),
        true,
      );
    },
    'subtensorModule.commitCrv3Weights': (context, call) => {
      this.commitTimelocked(
        context,
        codecNumber(arg(call, 0)),
        arg(call, 1),
        codecBigInt(arg(call, 2)),
        false,
      );
    },
    'subtensorModule.serveAxon': (context, call) => {
      const [netuid, version, ip, port, ipType, protocol, placeholder1, placeholder2] = call.args.map(
        (value) => codecBigInt(value),
      );
      this.serveAxon(context, {
        netuid: Number(netuid),
        version: Number(version),
        ip: ip ?? 0n,
        port: Number(port),
        ipType: Number(ipType),
        protocol: Number(protocol),
        placeholder1: Number(placeholder1),
        placeholder2: Number(placeholder2),
      });
    },
    'subtensorModule.burnedRegister': (context, call) => {
      this.burnedRegister(context, codecNumber(arg(call, 0)), arg(call, 1).toString());
    },
    'subtensorModule.addStake': (context, call) => {
      this.addStake(context, arg(call, 0).toString(), codecNumber(arg(call, 1)), codecBigInt(arg(call, 2)));
    },
    'subtensorModule.removeStake': (context, call) => {
      this.removeStake(
        context,
        arg(call, 0).toString(),
        codecNumber(arg(call, 1)),
        codecBigInt(arg(call, 2)),
      );
    },
    'system.remark': () => undefined,
    'system.remarkWithEvent': (context, call) => {
      context.emit('System', 'Remarked', [context.signer, blake2AsHex(arg(call, 0).toU8a(true))]);
    },
    'balances.transferAllowDeath': (context, call) => {
      this.transfer(context, arg(call, 0).toString(), codecBigInt(arg(call, 1)));
    },
    'balances.transferKeepAlive': (context, call) => {
      this.transfer(context, arg(call, 0).toString(), codecBigInt(arg(call, 1)));
    },
  };

  supports(call: CallInfo): boolean {
    return `${call.section}.${call.method}` in this.calls;
  }

  dispatch(context: DispatchContext, call: CallInfo): void {
    const handler = this.calls[`${call.section}.${call.method}`];
    if (!handler) throw new Error(`the devnet does not support ${call.section}.${call.method}`);
    handler(context, call);
  }

  /** Per block and subnet: registrations counter reset, emission accrual, and the epoch when it is due. */
  onInitialize(context: BlockContext): void {
    const { storage, block } = context;
    for (const netuid of netuids(storage)) {
      if (storage.subNumber('RegistrationsThisBlock', netuid) !== 0) {
        storage.subRemove('RegistrationsThisBlock', netuid);
      }
      const pending =
        storage.subBigInt('PendingEmission', netuid) + storage.subBigInt('EmissionValues', netuid);
      const tempo = storage.subNumber('Tempo', netuid);
      if (blocksUntilNextEpoch(netuid, tempo, block) === 0) {
        this.epoch(storage, netuid, block, pending);
        storage.subSet('PendingEmission', [netuid], 0);
        storage.subSet('BlocksSinceLastStep', [netuid], 0);
        storage.subSet('LastMechansimStepBlock', [netuid], block);
      } else {
        storage.subSet('PendingEmission', [netuid], pending);
        storage.subSet(
          'BlocksSinceLastStep',
          [netuid],
          storage.subBigInt('BlocksSinceLastStep', netuid) + 1n,
        );
      }
    }
  }

  private epoch(storage: Storage, netuid: number, block: number, emission: bigint): void {
    const n = storage.subNumber('SubnetworkN', netuid);
    if (n === 0) return;
    const hotkeys = Array.from({ length: n }, (_, uid) => storage.sub('Keys', netuid, uid).toString());
    const weights = new Map<number, [number, number][]>();
    for (let uid = 0; uid < n; uid++) {
      const row = storage.sub('Weights', netuid, uid).toJSON() as [number, number][];
      if (row.length > 0) weights.set(uid, row);
    }
    const output = runEpoch({
      block,
      stake: hotkeys.map((hotkey) => storage.subBigInt('TotalHotkeyAlpha', hotkey, netuid)),
      validatorPermit: storage.subNumbers('ValidatorPermit', netuid).map(Boolean),
      lastUpdate: storage.subNumbers('LastUpdate', netuid),
      blockAtRegistration: hotkeys.map((_, uid) => storage.subNumber('BlockAtRegistration', netuid, uid)),
      weights,
      activityCutoff: storage.subNumber('ActivityCutoff', netuid),
      maxAllowedValidators: storage.subNumber('MaxAllowedValidators', netuid),
      emission,
    });
    storage.subSet('Active', [netuid], output.active);
    storage.subSet('Rank', [netuid], output.rank);
    storage.subSet('Trust', [netuid], output.trust);
    storage.subSet('Consensus', [netuid], output.consensus);
    storage.subSet('Incentive', [netuid], output.incentive);
    storage.subSet('Dividends', [netuid], output.dividends);
    storage.subSet('ValidatorTrust', [netuid], output.validatorTrust);
    storage.subSet('PruningScores', [netuid], output.pruningScores);
    storage.subSet('Emission', [netuid], output.emission);
    storage.subSet('ValidatorPermit', [netuid], output.validatorPermit);
    // Emission is staked to the neuron's hotkey, as its owner's stake.
    output.emission.forEach((amount, uid) => {
      const hotkey = hotkeys[uid];
      if (amount > 0n && hotkey) {
        changeStake(storage, netuid, hotkey, storage.sub('Owner', hotkey).toString(), amount);
      }
    });
  }

  private registeredUid(storage: Storage, netuid: number, hotkey: string, error: string): number {
    const uid = uidOf(storage, netuid, hotkey);
    if (uid === undefined) fail(error);
    return uid;
  }

  /** check_rate_limit: never set (0), or at least WeightsSetRateLimit blocks since LastUpdate. */
  private passesRateLimit(storage: Storage, netuid: number, uid: number, block: number): boolean {
    const last = storage.subNumbers('LastUpdate', netuid)[uid] ?? 0;
    return last === 0 || block - last >= storage.subNumber('WeightsSetRateLimit', netuid);
  }

  private setLastUpdate(storage: Storage, netuid: number, uid: number, block: number): void {
    const lastUpdate = storage.subNumbers('LastUpdate', netuid);
    lastUpdate[uid] = block;
    storage.subSet('LastUpdate', [netuid], lastUpdate);
  }

  /** do_set_weights, check for check. */
  private setWeights(
    context: DispatchContext,
    netuid: number,
    uids: number[],
    values: number[],
    versionKey: bigint,
  ): void {
    const { storage, block, signer } = context;
    ensure(netuid !== 0, 'CanNotSetRootNetworkWeights');
    ensure(uids.length === values.length, 'WeightVecNotEqualSize');
    ensure(storage.subBool('NetworksAdded', netuid), 'SubNetworkDoesNotExist');
    const n = storage.subNumber('SubnetworkN', netuid);
    ensure(uids.length <= n, 'UidsLengthExceedUidsInSubNet');
    const uid = this.registeredUid(storage, netuid, signer, 'HotKeyNotRegisteredInSubNet');
    ensure(
      storage.subBigInt('TotalHotkeyAlpha', signer, netuid) >= storage.subBigInt('StakeThreshold'),
      'NotEnoughStakeToSetWeights',
    );
    const networkVersionKey = storage.subBigInt('WeightsVersionKey', netuid);
    ensure(networkVersionKey === 0n || versionKey >= networkVersionKey, 'IncorrectWeightVersionKey');
    const commitReveal = storage.subBool('CommitRevealWeightsEnabled', netuid);
    if (!commitReveal) ensure(this.passesRateLimit(storage, netuid, uid, block), 'SettingWeightsTooFast');
    const self = isSelfWeight(uid, uids, values);
    ensure(self || storage.subNumbers('ValidatorPermit', netuid)[uid] === 1, 'NeuronNoValidatorPermit');
    ensure(new Set(uids).size === uids.length, 'DuplicateUids');
    ensure(
      uids.every((target) => target < n),
      'UidVecContainInvalidOne',
    );
    const minAllowed = Math.min(n, storage.subNumber('MinAllowedWeights', netuid));
    ensure(self || values.length >= minAllowed, 'WeightVecLengthIsLow');
    const upscaled = maxUpscale(values);
    ensure(
      self || isMaxWeightLimited(upscaled, storage.subNumber('MaxWeightsLimit', netuid)),
      'MaxWeightExceeded',
    );
    storage.subSet(
      'Weights',
      [netuid, uid],
      uids.map((target, index) => [target, upscaled[index] ?? 0]),
    );
    if (!commitReveal) this.setLastUpdate(storage, netuid, uid, block);
    context.emit(pallet, 'WeightsSet', [netuid, uid]);
  }

  private liveCommits(storage: Storage, netuid: number, hotkey: string, block: number) {
    const tempo = storage.subNumber('Tempo', netuid);
    const revealPeriod = storage.subNumber('RevealPeriodEpochs', netuid);
    const commits = ((storage.sub('WeightCommits', netuid, hotkey).toJSON() as Commit[] | null) ?? []).map(
      ([hash, commitBlock, first, last]) => ({ hash, commitBlock, first, last }),
    );
    const currentEpoch = epochIndex(netuid, tempo, block);
    const isExpired = (commitBlock: number) =>
      currentEpoch > epochIndex(netuid, tempo, commitBlock) + revealPeriod;
    const expired: string[] = [];
    while (commits[0] && isExpired(commits[0].commitBlock)) {
      const dropped = commits.shift();
      if (dropped) expired.push(dropped.hash);
    }
    return { commits, expired, tempo, revealPeriod, currentEpoch };
  }

  /** do_commit_weights. */
  private commitWeights(context: DispatchContext, netuid: number, hash: string): void {
    const { storage, block, signer } = context;
    ensure(storage.subBool('CommitRevealWeightsEnabled', netuid), 'CommitRevealDisabled');
    const uid = this.registeredUid(storage, netuid, signer, 'HotKeyNotRegisteredInSubNet');
    ensure(this.passesRateLimit(storage, netuid, uid, block), 'CommittingWeightsTooFast');
    const { commits, tempo, revealPeriod } = this.liveCommits(storage, netuid, signer, block);
    ensure(commits.length < maxUnrevealedCommits, 'TooManyUnrevealedCommits');
    const window = revealWindow(netuid, tempo, revealPeriod, block);
    storage.subSet(
      'WeightCommits',
      [netuid, signer],
      [
        ...commits.map((commit) => [commit.hash, commit.commitBlock, commit.first, commit.last]),
        [hash, block, window.first, window.last],
      ],
    );
    context.emit(pallet, 'WeightsCommitted', [signer, netuid, hash]);
    this.setLastUpdate(storage, netuid, uid, block);
  }

  /** do_reveal_weights: the hash must match a live commit, in exactly the epoch `reveal period` after it. */
  private revealWeights(
    context: DispatchContext,
    netuid: number,
    uids: number[],
    values: number[],
    salt: number[],
    versionKey: bigint,
  ): void {
    const { storage, block, signer } = context;
    ensure(storage.subBool('CommitRevealWeightsEnabled', netuid), 'CommitRevealDisabled');
    ensure(!storage.sub('WeightCommits', netuid, signer).isEmpty, 'NoWeightsCommitFound');
    const { commits, expired, tempo, revealPeriod, currentEpoch } = this.liveCommits(
      storage,
      netuid,
      signer,
      block,
    );
    const hash = weightsCommitHash(signer, netuid, uids, values, salt, versionKey);
    if (commits.length === 0) fail(expired.includes(hash) ? 'ExpiredWeightCommit' : 'NoWeightsCommitFound');
    const position = commits.findIndex((commit) => commit.hash === hash);
    if (position < 0) {
      fail(expired.includes(hash) ? 'ExpiredWeightCommit' : 'InvalidRevealCommitHashNotMatch');
    }
    const commit = commits[position];
    ensure(
      commit !== undefined && currentEpoch === epochIndex(netuid, tempo, commit.commitBlock) + revealPeriod,
      'RevealTooEarly',
    );
    const remaining = commits.slice(position + 1);
    if (remaining.length === 0) storage.subRemove('WeightCommits', netuid, signer);
    else {
      storage.subSet(
        'WeightCommits',
        [netuid, signer],
        remaining.map((entry) => [entry.hash, entry.commitBlock, entry.first, entry.last]),
      );
    }
    this.setWeights(context, netuid, uids, values, versionKey);
    context.emit(pallet, 'WeightsRevealed', [signer, netuid, hash]);
  }

  /** do_commit_timelocked_weights / do_commit_crv3_weights: stored per epoch; the devnet has no drand to reveal. */
  private commitTimelocked(
    context: DispatchContext,
    netuid: number,
    commit: Codec,
    revealRound: bigint,
    timelocked: boolean,
  ): void {
    const { storage, block, signer } = context;
    ensure(storage.subBool('CommitRevealWeightsEnabled', netuid), 'CommitRevealDisabled');
    const uid = this.registeredUid(storage, netuid, signer, 'HotKeyNotRegisteredInSubNet');
    ensure(this.passesRateLimit(storage, netuid, uid, block), 'CommittingWeightsTooFast');
    const epoch = epochIndex(netuid, storage.subNumber('Tempo', netuid), block);
    const bytes = commit.toU8a(true);
    const hash = blake2AsHex(bytes, 256);
    if (timelocked) {
      const queue = storage.sub('TimelockedWeightCommits', netuid, epoch).toJSON() as unknown[][];
      ensure(
        queue.filter((entry) => entry[0] === signer).length < maxUnrevealedCommits,
        'TooManyUnrevealedCommits',
      );
      storage.subSet(
        'TimelockedWeightCommits',
        [netuid, epoch],
        [...queue, [signer, block, u8aToHex(bytes), revealRound]],
      );
      context.emit(pallet, 'TimelockedWeightsCommitted', [signer, netuid, hash, revealRound]);
    } else {
      const queue = storage.sub('CRV3WeightCommits', netuid, epoch).toJSON() as unknown[][];
      ensure(
        queue.filter((entry) => entry[0] === signer).length < maxUnrevealedCommits,
        'TooManyUnrevealedCommits',
      );
      storage.subSet(
        'CRV3WeightCommits',
        [netuid, epoch],
        [...queue, [signer, u8aToHex(bytes), revealRound]],
      );
      context.emit(pallet, 'CRV3WeightsCommitted', [signer, netuid, hash]);
    }
    this.setLastUpdate(storage, netuid, uid, block);
  }

  /** do_serve_axon. */
  private serveAxon(
    context: DispatchContext,
    axon: {
      netuid: number;
      version: number;
      ip: bigint;
      port: number;
      ipType: number;
      protocol: number;
      placeholder1: number;
      placeholder2: number;
    },
  ): void {
    const { storage, block, signer } = context;
    const { netuid } = axon;
    this.registeredUid(storage, netuid, signer, 'HotKeyNotRegisteredInNetwork');
    ensure(axon.ipType === 4 || axon.ipType === 6, 'InvalidIpType');
    ensure(isValidIp(axon.ipType, axon.ip), 'InvalidIpAddress');
    const previous = storage.sub('Axons', netuid, signer).toJSON() as { block: number } | null;
    const rateLimit = storage.subNumber('ServingRateLimit', netuid);
    ensure(
      !previous || previous.block === 0 || block - previous.block >= rateLimit,
      'ServingRateLimitExceeded',
    );
    storage.subSet('Axons', [netuid, signer], { ...axon, block });
    context.emit(pallet, 'AxonServed', [netuid, signer]);
  }

  /** do_burned_registration: the coldkey (signer) pays the subnet's burn to register a hotkey. */
  private burnedRegister(context: DispatchContext, netuid: number, hotkey: string): void {
    const { storage, block, signer } = context;
    ensure(netuid !== 0, 'RegistrationNotPermittedOnRootSubnet');
    ensure(storage.subBool('NetworksAdded', netuid), 'SubNetworkDoesNotExist');
    ensure(storage.subBool('NetworkRegistrationAllowed', netuid), 'SubNetRegistrationDisabled');
    const thisBlock = storage.subNumber('RegistrationsThisBlock', netuid);
    ensure(
      thisBlock < storage.subNumber('MaxRegistrationsPerBlock', netuid),
      'TooManyRegistrationsThisBlock',
    );
    ensure(uidOf(storage, netuid, hotkey) === undefined, 'HotKeyAlreadyRegisteredInSubNet');
    const owner = storage.sub('Owner', hotkey);
    ensure(owner.isEmpty || owner.toString() === signer, 'NonAssociatedColdKey');
    const burn = storage.subBigInt('Burn', netuid);
    const balance = freeBalance(storage, signer);
    ensure(balance >= burn, 'NotEnoughBalanceToStake');
    setFreeBalance(storage, signer, balance - burn);
    const uid = registerNeuron(storage, netuid, hotkey, signer, block);
    storage.subSet('RegistrationsThisBlock', [netuid], thisBlock + 1);
    storage.subSet(
      'BurnRegistrationsThisInterval',
      [netuid],
      storage.subNumber('BurnRegistrationsThisInterval', netuid) + 1,
    );
    storage.subSet(
      'RAORecycledForRegistration',
      [netuid],
      storage.subBigInt('RAORecycledForRegistration', netuid) + burn,
    );
    context.emit(pallet, 'NeuronRegistered', [netuid, uid, hotkey]);
  }

  /** do_add_stake: the coldkey (signer) stakes TAO on a hotkey; the devnet prices alpha at 1 TAO. */
  private addStake(context: DispatchContext, hotkey: string, netuid: number, amount: bigint): void {
    const { storage, signer } = context;
    ensure(storage.subBool('NetworksAdded', netuid), 'SubnetNotExists');
    ensure(!storage.sub('Owner', hotkey).isEmpty, 'HotKeyAccountNotExists');
    ensure(amount >= minStake, 'AmountTooLow');
    const balance = freeBalance(storage, signer);
    ensure(balance >= amount, 'NotEnoughBalanceToStake');
    setFreeBalance(storage, signer, balance - amount);
    changeStake(storage, netuid, hotkey, signer, amount);
    context.emit(pallet, 'StakeAdded', [signer, hotkey, amount, amount, netuid]);
  }

  /** do_remove_stake: back to the coldkey's free balance at 1 alpha = 1 TAO. */
  private removeStake(context: DispatchContext, hotkey: string, netuid: number, amount: bigint): void {
    const { storage, signer } = context;
    ensure(storage.subBool('NetworksAdded', netuid), 'SubnetNotExists');
    ensure(!storage.sub('Owner', hotkey).isEmpty, 'HotKeyAccountNotExists');
    ensure(amount > 0n, 'AmountTooLow');
    const own = (storage.sub('Alpha', hotkey, signer, netuid).toJSON() as { bits: number | string }).bits;
    ensure(BigInt(own) >> 64n >= amount, 'NotEnoughStakeToWithdraw');
    changeStake(storage, netuid, hotkey, signer, -amount);
    setFreeBalance(storage, signer, freeBalance(storage, signer) + amount);
    context.emit(pallet, 'StakeRemoved', [signer, hotkey, amount, amount, netuid]);
  }

  private transfer(context: DispatchContext, destination: string, amount: bigint): void {
    const { storage, signer } = context;
    const balance = freeBalance(storage, signer);
    if (balance < amount) throw new DispatchFailure('Balances', 'InsufficientBalance');
    setFreeBalance(storage, signer, balance - amount);
    setFreeBalance(storage, destination, freeBalance(storage, destination) + amount);
    context.emit('Balances', 'Transfer', [signer, destination, amount]);
  }
}

/** Subtensor's is_valid_ip_address (serving.rs): no zero, no broadcast, no localhost. */
export function isValidIp(ipType: number, ip: bigint): boolean {
  if (ip === 0n) return false;
  if (ipType === 4) return ip < 0xffffffffn && ip !== 0x7f000001n;
  if (ipType === 6) return ip !== (1n << 128n) - 1n && ip !== 1n;
  return true;
}
