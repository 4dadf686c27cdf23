import type { KeyringPair } from '@polkadot/keyring/types';
import type {
  ChainError,
  EmitWeights,
  PendingCommit,
  SubtensorClient,
  WeightsCommitStore,
  WeightsMode,
} from '@vstack/chain';
import type { ChainMetrics } from '../chain/chain-metrics';

/** What a weights job needs to know about its subnet, read at the best block. */
export interface WeightsSubnetState {
  /** The best block the state was read at. */
  head: number;
  tempo: number;
  /** WeightsSetRateLimit: blocks between a neuron's set_weights (or commit_weights). */
  weightsRateLimit: number;
  mode: WeightsMode;
}

/** A job's weights resolved against the subnet's metagraph. */
export interface ResolvedWeights {
  /** Weight per uid (decimal string keys) of the hotkeys registered on the subnet. */
  byUid: Record<string, number>;
  /** Hotkeys the subnet does not know. */
  unknown: string[];
  /** The signer's neuron: its uid and the block of its last set_weights or commit (0: never); undefined when unregistered. */
  self: { uid: number; lastUpdate: number } | undefined;
}

/** What went on chain: the weights set, or committed for a later reveal. */
export type SubmittedWeights =
  | { kind: 'set'; txHash: string; block: number; count: number }
  | { kind: 'committed'; txHash: string; block: number; count: number; commit: PendingCommit };

/** What one reveal call did with each stored commit of the hotkey on the subnet. */
export interface RevealedWeights {
  revealed: { hash: string; txHash: string; block: number }[];
  waiting: string[];
  expired: string[];
  /** `dropped`: the chain no longer holds the commit, so it cannot be revealed again. */
  failed: { commit: PendingCommit; error: ChainError; dropped: boolean }[];
}

/** The chain operations of a weights job; an interface so the state machine is tested without a node. */
export interface WeightsChain {
  head(): Promise<number>;
  subnet(netuid: number): Promise<WeightsSubnetState>;
  resolve(
    netuid: number,
    hotkey: string,
    weights: Readonly<Record<string, number>>,
  ): Promise<ResolvedWeights>;
  /** The u16 vectors the weights become (checked against the subnet's limits). */
  prepare(netuid: number, byUid: Readonly<Record<string, number>>): Promise<EmitWeights>;
  /** set_weights when `mode` is direct; otherwise commit_weights (the chain lib refuses timelocked subnets). */
  submit(
    signer: KeyringPair,
    netuid: number,
    byUid: Readonly<Record<string, number>>,
    mode: WeightsMode,
  ): Promise<SubmittedWeights>;
  /** Reveals the hotkey's stored commits whose window is open. */
  reveal(signer: KeyringPair, netuid: number): Promise<RevealedWeights>;
  pendingCommits(hotkey: string, netuid: number): Promise<PendingCommit[]>;
  removeCommit(hotkey: string, netuid: number, hash: string): Promise<void>;
  /** The weights neuron `uid` has on chain now. */
  weightsOf(netuid: number, uid: number): Promise<EmitWeights>;
}

/** WeightsChain over the sidecar's SubtensorClient, timing set, commit and reveal. */
export class SubtensorWeightsChain implements WeightsChain {
  constructor(
    private readonly client: SubtensorClient,
    private readonly commits: WeightsCommitStore,
    private readonly metrics: Pick<ChainMetrics, 'time'>,
  ) {}

  async head(): Promise<number> {
    return (await this.client.head()).number;
  }

  async subnet(netuid: number): Promise<WeightsSubnetState> {
    const hyperparameters = await this.client.hyperparameters(netuid);
    const mode = await this.client.weightsMode(netuid, hyperparameters);
    return {
      head: hyperparameters.block,
      tempo: hyperparameters.tempo,
      weightsRateLimit: hyperparameters.weightsRateLimit,
      mode,
    };
  }

  async resolve(
    netuid: number,
    hotkey: string,
    weights: Readonly<Record<string, number>>,
  ): Promise<ResolvedWeights> {
    const metagraph = await this.client.metagraph(netuid);
    const uids = new Map(metagraph.neurons.map((neuron) => [neuron.hotkey, neuron.uid]));
    const byUid: Record<string, number> = {};
    const unknown: string[] = [];
    for (const [key, weight] of Object.entries(weights)) {
      const uid = uids.get(key);
      if (uid === undefined) unknown.push(key);
      else byUid[String(uid)] = weight;
    }
    const self = metagraph.neurons.find((neuron) => neuron.hotkey === hotkey);
    return { byUid, unknown, self: self && { uid: self.uid, lastUpdate: self.lastUpdate } };
  }

  prepare(netuid: number, byUid: Readonly<Record<string, number>>): Promise<EmitWeights> {
    return this.client.prepareWeights(netuid, byUid);
  }

  async submit(
    signer: KeyringPair,
    netuid: number,
    byUid: Readonly<Record<string, number>>,
    mode: WeightsMode,
  ): Promise<SubmittedWeights> {
    const direct = mode === 'direct';
    const outcome = await this.metrics.time(direct ? 'set_weights' : 'commit_weights', () =>
      this.client.setWeights(signer, netuid, byUid, { mode: direct ? 'direct' : 'auto' }),
    );
    const landed = {
      txHash: outcome.result.txHash,
      block: outcome.result.blockNumber,
      count: outcome.weights.uids.length,
    };
    return outcome.kind === 'set'
      ? { kind: 'set', ...landed }
      : { kind: 'committed', ...landed, commit: outcome.commit };
  }

  async reveal(signer: KeyringPair, netuid: number): Promise<RevealedWeights> {
    const outcome = await this.metrics.time('reveal_weights', () =>
      this.client.revealWeights(signer, netuid),
    );
    const stillStored =
      outcome.failed.length === 0
        ? new Set<string>()
        : new Set((await this.commits.list(signer.address, netuid)).map((commit) => commit.hash));
    return {
      revealed: outcome.revealed.map(({ commit, result }) => ({
        hash: commit.hash,
        txHash: result.txHash,
        block: result.blockNumber,
      })),
      waiting: outcome.waiting.map((commit) => commit.hash),
      expired: outcome.expired.map((commit) => commit.hash),
      failed: outcome.failed.map(({ commit, error }) => ({
        commit,
        error,
        dropped: !stillStored.has(commit.hash),
      })),
    };
  }

  pendingCommits(hotkey: string, netuid: number): Promise<PendingCommit[]> {
    return this.commits.list(hotkey, netuid);
  }

  removeCommit(hotkey: string, netuid: number, hash: string): Promise<void> {
    return this.commits.remove(hotkey, netuid, hash);
  }

  weightsOf(netuid: number, uid: number): Promise<EmitWeights> {
    return this.client.weightsOf(netuid, uid);
  }
}
