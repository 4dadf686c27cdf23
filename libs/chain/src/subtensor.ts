import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Codec } from '@polkadot/types/types';
import { findTx, requireQuery, requireTx, type TxFactory } from './access';
import { encodeAxonIp } from './axon';
import { MemoryCommitStore, type PendingCommit, type WeightsCommitStore } from './commit-store';
import { decorateBlock, type BlockRef, type ChainConnection } from './connection';
import { epochAt, revealWindow, type EpochInfo } from './epoch';
import { ChainError, ChainErrorCode, isChainError } from './errors';
import { readHyperparameters, type Hyperparameters } from './hyperparameters';
import { silentLogger, type ChainLogger } from './logger';
import {
  hasNeuronsLiteApi,
  MetagraphCache,
  metagraphFromRuntimeApi,
  metagraphFromStateCall,
  metagraphFromStorage,
  type Metagraph,
} from './metagraph';
import { NonceManager } from './nonce';
import { submitExtrinsic, type ExtrinsicResult } from './submit';
import {
  prepareWeights,
  randomSalt,
  weightsCommitHash,
  type EmitWeights,
  type WeightsInput,
} from './weights';

/** How a subnet takes weights right now. */
export type WeightsMode =
  /** set_weights directly. */
  | 'direct'
  /** commit_weights (a blake2 hash) then reveal_weights in the reveal epoch. */
  | 'commit-reveal'
  /** commit_timelocked_weights: weights encrypted to a drand round; this lib cannot produce them. */
  | 'timelocked';

/** What the client needs of a ChainConnection (an interface, so logic can be tested without a node). */
export type ChainAccess = Pick<
  ChainConnection,
  'ready' | 'send' | 'readAt' | 'readAtBlock' | 'runsCurrentRuntime' | 'observeBlock' | 'on' | 'bestHead'
>;

export interface SubtensorClientOptions {
  connection: ChainAccess;
  /** Where commits wait for their reveal; in memory unless given (a restart then loses them). */
  commitStore?: WeightsCommitStore;
  /** How long an extrinsic may take to reach a block. Default 60 s (five 12 s blocks). */
  extrinsicTimeoutMs?: number;
  /** Wait for finality instead of inclusion. Default false. */
  waitForFinalization?: boolean;
  logger?: ChainLogger;
  /** Randomness for commit salts. */
  randomBytes?: (bytes: number) => Uint8Array;
}

export interface SetWeightsOptions {
  /** The version_key to send; the subnet's WeightsVersionKey by default (the smallest the chain accepts). */
  versionKey?: bigint;
  /** `auto` (default) commits when the subnet has commit-reveal on; `direct` always calls set_weights. */
  mode?: 'auto' | 'direct';
}

/** What setWeights did: set them, or committed them for a later reveal. */
export type SetWeightsOutcome =
  | { kind: 'set'; weights: EmitWeights; versionKey: bigint; result: ExtrinsicResult }
  | {
      kind: 'committed';
      weights: EmitWeights;
      versionKey: bigint;
      commit: PendingCommit;
      result: ExtrinsicResult;
    };

/** What revealWeights found among the stored commits. */
export interface RevealOutcome {
  revealed: { commit: PendingCommit; result: ExtrinsicResult }[];
  /** Commits whose reveal window has not opened yet. */
  waiting: PendingCommit[];
  /** Commits whose window closed before a reveal; dropped from the store. */
  expired: PendingCommit[];
  /** Reveals the chain rejected; dropped from the store when the chain no longer holds them. */
  failed: { commit: PendingCommit; error: ChainError }[];
}

export interface ServeAxonParams {
  ip: string;
  port: number;
  /** Bittensor's axon protocol number (4 by default, as the Python axon sends). */
  protocol?: number;
  /** The axon software version as an integer. */
  version?: number;
}

const REVEAL_ERRORS_THAT_DROP = new Set([
  'InvalidRevealCommitHashNotMatch',
  'NoWeightsCommitFound',
  'ExpiredWeightCommit',
  'CommitRevealDisabled',
]);

type Tx = SubmittableExtrinsic<'promise'>;

/**
 * Subtensor for the stack: metagraph, hyperparameters, epochs, weights (direct or commit-reveal), axons,
 * registration and stake, over one ChainConnection. Extrinsics have a timeout, per-signer nonces and
 * decoded module errors.
 */
export class SubtensorClient {
  readonly #connection: ChainAccess;
  readonly #commits: WeightsCommitStore;
  readonly #logger: ChainLogger;
  readonly #nonces: NonceManager;
  readonly #options: SubtensorClientOptions;
  readonly #metagraphCache = new MetagraphCache();

  constructor(options: SubtensorClientOptions) {
    this.#options = options;
    this.#connection = options.connection;
    this.#commits = options.commitStore ?? new MemoryCommitStore();
    this.#logger = options.logger ?? silentLogger;
    this.#nonces = new NonceManager(async (address) => {
      const api = await this.#connection.ready();
      return (await api.rpc.system.accountNextIndex(address)).toNumber();
    });
    // Pool and nonces may differ after the node came back (or a dev chain restarted).
    this.#connection.on('ready', () => {
      this.#nonces.reset();
    });
  }

  /** The connection this client reads and writes through. */
  get connection(): ChainAccess {
    return this.#connection;
  }

  /** The best block: number and hash. */
  async head(): Promise<{ number: number; hash: string }> {
    const api = await this.#connection.ready();
    const header = await api.rpc.chain.getHeader();
    return { number: header.number.toNumber(), hash: header.hash.toHex() };
  }

  /** Every neuron of subnet `netuid`, at the best block or at `at`; via the runtime API when the chain has it. */
  async metagraph(netuid: number, at?: string | number): Promise<Metagraph> {
    if (at === undefined) {
      const latest = await this.#metagraphLatest(netuid);
      if (latest) return latest;
    }
    return this.#connection.readAt(at, async (ref) => {
      const fast = await this.#metagraphFast(ref, netuid);
      if (fast) return fast;
      // Another runtime (or none with the runtime API in our metadata): the API decorated for that block.
      const block = await decorateBlock(ref);
      const viaRuntime = hasNeuronsLiteApi(block.api);
      const neurons = viaRuntime
        ? await metagraphFromRuntimeApi(block.api, netuid)
        : await metagraphFromStorage(block.api, netuid);
      return {
        netuid,
        block: block.number,
        blockHash: block.hash,
        source: viaRuntime ? 'runtime-api' : 'storage',
        neurons,
      };
    });
  }

  /**
   * The metagraph at the best block through one raw state_call decoded by the reader compiled from the metadata;
   * undefined when the metadata does not describe the runtime API. The call goes to the head the connection
   * announced, side by side with a question for the node's best hash: a block's state, hash and number then belong
   * together, and the usual answer costs one round trip. When the node has moved past the announced head (a block
   * just sealed, or announcements trailing a moment), it reads again at the node's best block.
   */
  async #metagraphLatest(netuid: number): Promise<Metagraph | undefined> {
    const api = await this.#connection.ready();
    const send = <T>(method: string, params: unknown[]): Promise<T> =>
      this.#connection.send<T>(method, params);
    const head = this.#connection.bestHead;
    let best: string;
    if (head) {
      const [bestHash, atHead] = await Promise.all([
        send<string>('chain_getBlockHash', []),
        metagraphFromStateCall(
          { api, hash: head.hash, send },
          netuid,
          this.#metagraphCache,
          head.number,
        ).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
      ]);
      best = bestHash;
      if (best === head.hash) {
        if ('error' in atHead) throw atHead.error;
        if (!atHead.value) return undefined;
        return {
          netuid,
          block: head.number,
          blockHash: head.hash,
          source: 'runtime-api',
          neurons: atHead.value.neurons,
        };
      }
    } else {
      best = await send<string>('chain_getBlockHash', []);
    }
    const fast = await metagraphFromStateCall({ api, hash: best, send }, netuid, this.#metagraphCache);
    if (!fast) return undefined;
    return { netuid, block: fast.blockNumber, blockHash: best, source: 'runtime-api', neurons: fast.neurons };
  }

  /**
   * The raw state_call path at a given block, when that block runs the connection's current runtime (so the
   * reader compiled from the current metadata decodes it); undefined otherwise. The spec version check and
   * the call run side by side; a result read under another runtime is dropped.
   */
  async #metagraphFast(ref: BlockRef, netuid: number): Promise<Metagraph | undefined> {
    const [sameRuntime, fast] = await Promise.all([
      this.#connection.runsCurrentRuntime(ref),
      metagraphFromStateCall(ref, netuid, this.#metagraphCache, ref.number).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (!sameRuntime) return undefined;
    if ('error' in fast) throw fast.error;
    if (!fast.value) return undefined;
    return {
      netuid,
      block: fast.value.blockNumber,
      blockHash: ref.hash,
      source: 'runtime-api',
      neurons: fast.value.neurons,
    };
  }

  /** Subnet `netuid`'s hyperparameters at the best block or at `at`. */
  hyperparameters(netuid: number, at?: string | number): Promise<Hyperparameters> {
    return this.#connection.readAtBlock(at, (block) => readHyperparameters(block.api, netuid, block));
  }

  /** Where the best block (or `at`) sits in subnet `netuid`'s epoch cycle. */
  async epoch(netuid: number, at?: string | number): Promise<EpochInfo> {
    const hyperparameters = await this.hyperparameters(netuid, at);
    return epochAt(netuid, hyperparameters.tempo, hyperparameters.block);
  }

  /** The weights neuron `uid` has set on subnet `netuid`, as stored (max-upscaled u16). */
  weightsOf(netuid: number, uid: number, at?: string | number): Promise<EmitWeights> {
    return this.#connection.readAtBlock(at, async (block) => {
      const rows = (await requireQuery(block.api, 'weights')(netuid, uid)) as unknown as (Codec &
        [Codec & { toNumber(): number }, Codec & { toNumber(): number }])[];
      return {
        uids: rows.map(([dest]) => dest.toNumber()),
        weights: rows.map(([, value]) => value.toNumber()),
      };
    });
  }

  /** How subnet `netuid` takes weights: directly, by hash commit-reveal, or timelocked (unsupported here). */
  async weightsMode(netuid: number, hyperparameters?: Hyperparameters): Promise<WeightsMode> {
    const hp = hyperparameters ?? (await this.hyperparameters(netuid));
    if (!hp.commitRevealEnabled) return 'direct';
    const api = await this.#connection.ready();
    const hashCommits =
      findTx(api, 'commitWeights') !== undefined && findTx(api, 'revealWeights') !== undefined;
    const timelocked =
      findTx(api, 'commitTimelockedWeights') !== undefined || findTx(api, 'commitCrv3Weights') !== undefined;
    // CommitRevealWeightsVersion 3 and up means the runtime only reveals drand-timelocked commits.
    if (timelocked && (!hashCommits || (hp.commitRevealVersion ?? 0) >= 3)) return 'timelocked';
    if (hashCommits) return 'commit-reveal';
    throw new ChainError(
      ChainErrorCode.Unsupported,
      `subnet ${netuid} has commit-reveal on but the chain offers no commit call`,
    );
  }

  #timelockedError(netuid: number, hp: Hyperparameters): ChainError {
    return new ChainError(
      ChainErrorCode.CommitRevealModeUnsupported,
      `subnet ${netuid} requires timelocked commit-reveal (commit_timelocked_weights` +
        `${hp.commitRevealVersion === undefined ? '' : `, CommitRevealWeightsVersion ${hp.commitRevealVersion}`}): ` +
        'weights must be encrypted to a future drand round, which this library does not implement',
    );
  }

  /** Resolves `{hotkey|uid: weight}` against the subnet and converts it to the chain's u16 form. */
  async prepareWeights(
    netuid: number,
    input: WeightsInput,
    hyperparameters?: Hyperparameters,
  ): Promise<EmitWeights> {
    const hp = hyperparameters ?? (await this.hyperparameters(netuid));
    const keys =
      input instanceof Map ? [...(input as ReadonlyMap<string | number, number>).keys()] : Object.keys(input);
    let uidOf: ((hotkey: string) => number | undefined) | undefined;
    if (keys.some((key) => !/^\d+$/.test(String(key)))) {
      const metagraph = await this.metagraph(netuid, hp.blockHash);
      const uids = new Map(metagraph.neurons.map((neuron) => [neuron.hotkey, neuron.uid]));
      uidOf = (hotkey) => uids.get(hotkey);
    }
    return prepareWeights(input, {
      ...(uidOf ? { uidOf } : {}),
      maxWeightLimit: hp.maxWeightsLimit,
      minAllowedWeights: hp.minAllowedWeights,
      subnetSize: hp.subnetworkN,
    });
  }

  /**
   * Sets `signer`'s weights on subnet `netuid` from `{hotkey|uid: weight}`: set_weights when the subnet takes
   * them directly, commit_weights (kept in the commit store for revealWeights) when it runs hash
   * commit-reveal. Throws CommitRevealModeUnsupported for timelocked subnets.
   */
  async setWeights(
    signer: KeyringPair,
    netuid: number,
    input: WeightsInput,
    options: SetWeightsOptions = {},
  ): Promise<SetWeightsOutcome> {
    const hp = await this.hyperparameters(netuid);
    const mode = options.mode === 'direct' ? 'direct' : await this.weightsMode(netuid, hp);
    if (mode === 'timelocked') throw this.#timelockedError(netuid, hp);
    const weights = await this.prepareWeights(netuid, input, hp);
    if (weights.uids.length === 0) {
      throw new ChainError(ChainErrorCode.InvalidWeights, 'every weight is zero: there is nothing to set');
    }
    const versionKey = options.versionKey ?? hp.weightsVersionKey;
    if (mode === 'commit-reveal') {
      const { commit, result } = await this.commitWeights(signer, netuid, weights, {
        versionKey,
        hyperparameters: hp,
      });
      return { kind: 'committed', weights, versionKey, commit, result };
    }
    const api = await this.#connection.ready();
    const tx = requireTx(api, 'setWeights')(netuid, weights.uids, weights.weights, versionKey);
    const result = await this.#submit(api, tx, signer);
    return { kind: 'set', weights, versionKey, result };
  }

  /**
   * Commits already converted weights (commit_weights with subtensor's blake2 hash and a fresh salt) and
   * stores what the reveal needs.
   */
  async commitWeights(
    signer: KeyringPair,
    netuid: number,
    weights: EmitWeights,
    options: { versionKey?: bigint; hyperparameters?: Hyperparameters } = {},
  ): Promise<{ commit: PendingCommit; result: ExtrinsicResult }> {
    const hp = options.hyperparameters ?? (await this.hyperparameters(netuid));
    const versionKey = options.versionKey ?? hp.weightsVersionKey;
    const salt = randomSalt(8, this.#options.randomBytes);
    const hash = weightsCommitHash({
      hotkey: signer.address,
      netuid,
      uids: weights.uids,
      weights: weights.weights,
      salt,
      versionKey,
    });
    const api = await this.#connection.ready();
    const commitCall = requireTx(api, 'commitWeights');
    const result = await this.#submit(api, commitCall(netuid, hash), signer);
    const window = revealWindow(netuid, hp.tempo, hp.revealPeriodEpochs ?? 1, result.blockNumber);
    const commit: PendingCommit = {
      hotkey: signer.address,
      netuid,
      hash,
      uids: [...weights.uids],
      weights: [...weights.weights],
      salt,
      versionKey: versionKey.toString(),
      commitBlock: result.blockNumber,
      firstRevealBlock: window.firstBlock,
      lastRevealBlock: window.lastBlock,
    };
    await this.#commits.save(commit);
    this.#logger.info(
      {
        netuid,
        hotkey: signer.address,
        commitBlock: commit.commitBlock,
        revealFrom: commit.firstRevealBlock,
      },
      'weights committed',
    );
    return { commit, result };
  }

  /**
   * Reveals `signer`'s stored commits on subnet `netuid` whose reveal window is open now (oldest first),
   * drops the expired ones and leaves the rest waiting.
   */
  async revealWeights(signer: KeyringPair, netuid: number): Promise<RevealOutcome> {
    const outcome: RevealOutcome = { revealed: [], waiting: [], expired: [], failed: [] };
    const pending = await this.#commits.list(signer.address, netuid);
    if (pending.length === 0) return outcome;
    const hp = await this.hyperparameters(netuid);
    const api = await this.#connection.ready();
    const revealCall = requireTx(api, 'revealWeights');
    for (const commit of pending) {
      // The window follows the chain's current tempo and reveal period, as the runtime checks it.
      const window = revealWindow(netuid, hp.tempo, hp.revealPeriodEpochs ?? 1, commit.commitBlock);
      const head = (await this.head()).number;
      // The reveal lands in the next block, so judge the window by head + 1.
      const target = head + 1;
      if (target < window.firstBlock) {
        outcome.waiting.push(commit);
        continue;
      }
      if (target > window.lastBlock) {
        await this.#commits.remove(commit.hotkey, netuid, commit.hash);
        outcome.expired.push(commit);
        continue;
      }
      try {
        const tx = revealCall(netuid, commit.uids, commit.weights, commit.salt, BigInt(commit.versionKey));
        const result = await this.#submit(api, tx, signer);
        await this.#commits.remove(commit.hotkey, netuid, commit.hash);
        outcome.revealed.push({ commit, result });
      } catch (error) {
        if (!isChainError(error)) throw error;
        if (error.moduleError && REVEAL_ERRORS_THAT_DROP.has(error.moduleError.name)) {
          await this.#commits.remove(commit.hotkey, netuid, commit.hash);
        }
        outcome.failed.push({ commit, error });
      }
    }
    return outcome;
  }

  /** The commits waiting for a reveal for `hotkey` on subnet `netuid`. */
  pendingCommits(hotkey: string, netuid: number): Promise<PendingCommit[]> {
    return this.#commits.list(hotkey, netuid);
  }

  /** serve_axon: announces `signer`'s axon (IPv4 or IPv6, port, protocol) on subnet `netuid`. */
  async serveAxon(signer: KeyringPair, netuid: number, axon: ServeAxonParams): Promise<ExtrinsicResult> {
    if (!Number.isInteger(axon.port) || axon.port < 0 || axon.port > 65_535) {
      throw new ChainError(ChainErrorCode.InvalidOptions, `axon port ${axon.port} is not a u16`);
    }
    let encoded: { ip: bigint; ipType: 4 | 6 };
    try {
      encoded = encodeAxonIp(axon.ip);
    } catch (error) {
      throw new ChainError(
        ChainErrorCode.InvalidOptions,
        `axon ip ${JSON.stringify(axon.ip)} is not an IP address`,
        {
          cause: error,
        },
      );
    }
    const api = await this.#connection.ready();
    const tx = requireTx(api, 'serveAxon')(
      netuid,
      axon.version ?? 0,
      encoded.ip,
      axon.port,
      encoded.ipType,
      axon.protocol ?? 4,
      0,
      0,
    );
    return this.#submit(api, tx, signer);
  }

  /** burned_register: `coldkey` pays the subnet's burn to register `hotkey`; resolves with the new uid. */
  async burnedRegister(
    coldkey: KeyringPair,
    netuid: number,
    hotkey: string,
  ): Promise<ExtrinsicResult & { uid: number | undefined }> {
    const api = await this.#connection.ready();
    const result = await this.#submit(api, requireTx(api, 'burnedRegister')(netuid, hotkey), coldkey);
    const registered = result.events.find((event) => event.method === 'NeuronRegistered');
    const uid = registered ? Number(registered.data[1]) : undefined;
    return { ...result, uid: Number.isInteger(uid) ? uid : undefined };
  }

  /** add_stake: `coldkey` stakes `amountRao` to `hotkey` on subnet `netuid` (older runtimes stake without a netuid). */
  async addStake(
    coldkey: KeyringPair,
    hotkey: string,
    netuid: number,
    amountRao: bigint,
  ): Promise<ExtrinsicResult> {
    if (amountRao <= 0n)
      throw new ChainError(ChainErrorCode.InvalidOptions, 'the stake amount must be positive');
    const api = await this.#connection.ready();
    const addStake: TxFactory = requireTx(api, 'addStake');
    const tx =
      addStake.meta.args.length >= 3 ? addStake(hotkey, netuid, amountRao) : addStake(hotkey, amountRao);
    return this.#submit(api, tx, coldkey);
  }

  /** Signs and submits any extrinsic with this client's nonces, timeout and error decoding. */
  submit(signer: KeyringPair, build: (api: ApiPromise) => Tx): Promise<ExtrinsicResult> {
    return this.#connection.ready().then((api) => this.#submit(api, build(api), signer));
  }

  async #submit(api: ApiPromise, tx: Tx, signer: KeyringPair): Promise<ExtrinsicResult> {
    const result = await submitExtrinsic(
      api,
      tx,
      signer,
      this.#nonces,
      {
        timeoutMs: this.#options.extrinsicTimeoutMs ?? 60_000,
        waitFor: this.#options.waitForFinalization ? 'finalized' : 'inBlock',
      },
      this.#logger,
    );
    // Reads right after this call must see the block the extrinsic landed in.
    this.#connection.observeBlock(result.blockHash, result.blockNumber);
    return result;
  }
}
