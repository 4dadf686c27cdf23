import type { Axon, Neuron } from '@vstack/contracts';
import { type EligibilityRules, type ValidatorStanding, validatorStanding } from '../quota/quota-policy';

/** A miner managing may hand out: a neuron with a served axon. A uid that changes hotkey is a new miner. */
export interface Miner {
  uid: number;
  hotkey: string;
  axon: Axon;
  /** `uid:hotkey`, the identity of quotas, health and declarations. */
  key: string;
}

/** The registry as of one metagraph. */
export interface RegistrySnapshot {
  netuid: number;
  block: number;
  /** When it was read (unix ms). */
  readAt: number;
  miners: readonly Miner[];
  validator: ValidatorStanding;
}

/** What changed between two snapshots. */
export interface RegistryChange {
  snapshot: RegistrySnapshot;
  added: readonly Miner[];
  /** Miners that left, including uids that now belong to another hotkey. */
  removed: readonly Miner[];
}

export interface MinerRegistryOptions extends EligibilityRules {
  netuid: number;
  /** This validator's hotkey: its quotas are the ones handed out, and it is never its own miner. */
  validatorHotkey: string;
  clock?: () => number;
}

/** `uid:hotkey`. */
export function minerKeyOf(uid: number, hotkey: string): string {
  return `${uid}:${hotkey}`;
}

/** True when the neuron announced an axon someone can call (never served: 0.0.0.0, port 0). */
export function hasServedAxon(axon: Axon): boolean {
  return axon.port > 0 && axon.ip !== '0.0.0.0' && axon.ip !== '::' && axon.ip !== '';
}

/** The miners of one subnet, from the sidecar's metagraph. */
export class MinerRegistry {
  private current: RegistrySnapshot | undefined;
  private byUid = new Map<number, Miner>();
  private readonly listeners: ((change: RegistryChange) => void)[] = [];
  private readonly clock: () => number;

  constructor(private readonly options: MinerRegistryOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get netuid(): number {
    return this.options.netuid;
  }

  /** The latest snapshot, or undefined before the first metagraph. */
  snapshot(): RegistrySnapshot | undefined {
    return this.current;
  }

  /** The miner at `uid` when it still has `hotkey`. */
  miner(uid: number, hotkey: string): Miner | undefined {
    const miner = this.byUid.get(uid);
    return miner?.hotkey === hotkey ? miner : undefined;
  }

  /** Calls `listener` after every applied metagraph. */
  onChange(listener: (change: RegistryChange) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Replaces the registry with a metagraph of this subnet; a metagraph older than the current one is ignored
   * (answers can arrive out of order). Returns the change, or undefined when nothing was applied.
   */
  apply(metagraph: {
    netuid: number;
    block: number;
    neurons: readonly Neuron[];
  }): RegistryChange | undefined {
    if (metagraph.netuid !== this.options.netuid) return undefined;
    if (this.current && metagraph.block < this.current.block) return undefined;
    const miners: Miner[] = [];
    const byUid = new Map<number, Miner>();
    for (const neuron of metagraph.neurons) {
      if (neuron.hotkey === this.options.validatorHotkey || !hasServedAxon(neuron.axon)) continue;
      const miner: Miner = {
        uid: neuron.uid,
        hotkey: neuron.hotkey,
        axon: neuron.axon,
        key: minerKeyOf(neuron.uid, neuron.hotkey),
      };
      miners.push(miner);
      byUid.set(miner.uid, miner);
    }
    miners.sort((a, b) => a.uid - b.uid);
    const previous = this.byUid;
    const added = miners.filter((miner) => previous.get(miner.uid)?.key !== miner.key);
    const removed = [...previous.values()].filter((miner) => byUid.get(miner.uid)?.key !== miner.key);
    this.byUid = byUid;
    this.current = {
      netuid: metagraph.netuid,
      block: metagraph.block,
      readAt: this.clock(),
      miners,
      validator: validatorStanding(metagraph.neurons, this.options.validatorHotkey, this.options),
    };
    const change: RegistryChange = { snapshot: this.current, added, removed };
    for (const listener of this.listeners) listener(change);
    return change;
  }
}
