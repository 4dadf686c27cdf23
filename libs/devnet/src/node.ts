import { type BlockRecord, Chain, type Clock, systemClock, type TransactionWatcher } from './chain/chain';
import type { Hex } from './chain/state';
import { DevnetError, DevnetErrorCode } from './errors';
import type { SubtensorMaterial } from './material/material';
import { SubtensorLogic } from './pallets/subtensor';
import { JsonRpcHandler } from './rpc/json-rpc';
import { createRpcMethods, type NodeOperations } from './rpc/methods';
import { RpcSession } from './rpc/session';
import { RuntimeApis } from './runtime-api/runtime-api';
import { SubtensorRuntime } from './runtime/subtensor-runtime';
import { applyScenario, writeHyperparameters } from './scenario/apply';
import { defaultScenario, hyperparametersSchema, parseScenario, type Scenario } from './scenario/scenario';

/** Where the node reports what it does; a pino logger fits. */
export interface DevnetLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

const silent: DevnetLogger = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export interface DevnetOptions {
  /** Subtensor's metadata (loadSubtensorMaterial()). */
  material: SubtensorMaterial;
  /** Block time in ms; 0 seals a block for every submitted extrinsic (instant seal). */
  blockTimeMs?: number;
  /** The genesis scenario (a parsed scenario file); defaultScenario when left out. */
  scenario?: unknown;
  /**
   * Blocks of state kept, counting the head, like a non-archive node's `--state-pruning N`: reads at older
   * blocks answer "State already discarded"; headers and hashes stay. Undefined keeps every block's state.
   */
  statePruning?: number | undefined;
  clock?: Clock;
  logger?: DevnetLogger;
}

/** What a scenario set up, with every dev URI resolved, as dev_applyScenario returns it. */
export interface AppliedScenario {
  number: number;
  hash: Hex;
  subnets: { netuid: number; neurons: { uid: number; hotkey: string; coldkey: string }[] }[];
}

function describe(scenario: Scenario, block: BlockRecord): AppliedScenario {
  return {
    number: block.number,
    hash: block.hash,
    subnets: scenario.subnets.map((subnet) => ({
      netuid: subnet.netuid,
      neurons: subnet.neurons.map((neuron, uid) => ({ uid, hotkey: neuron.hotkey, coldkey: neuron.coldkey })),
    })),
  };
}

/**
 * A local subtensor node: a chain of blocks with subtensor's rules, served over JSON-RPC by whatever
 * transport opens sessions on it (the WebSocket and HTTP adapters in this lib).
 */
export class DevnetNode implements NodeOperations {
  readonly chain: Chain;
  readonly apis: RuntimeApis;
  readonly name = 'vstack-devnet';
  readonly version = '0.1.0';
  readonly genesisScenario: AppliedScenario;
  readonly statePruning: number | undefined;
  private readonly rpc: JsonRpcHandler;
  private readonly sessions = new Set<RpcSession>();
  private readonly timer: NodeJS.Timeout | undefined;
  private sealPending = false;
  private closed = false;

  private constructor(
    runtime: SubtensorRuntime,
    scenario: Scenario,
    private readonly blockTimeMs: number,
    statePruning: number | undefined,
    clock: Clock,
    private readonly logger: DevnetLogger,
  ) {
    this.statePruning = statePruning;
    this.chain = new Chain(runtime, new SubtensorLogic(), {
      clock,
      onApplied: (call, signer, block, error) => {
        const what = `${call.section}.${call.method} from ${signer} in block ${block}`;
        if (error) this.logger.info(`${what} failed: ${error}`);
        else this.logger.debug(what);
      },
      onDefect: (error, call) => {
        this.logger.warn(`${call.section}.${call.method} failed inside the devnet: ${describeError(error)}`);
      },
    });
    const genesis = this.chain.genesis((storage) => {
      applyScenario(storage, scenario, 0);
    });
    this.genesisScenario = describe(scenario, genesis);
    this.apis = new RuntimeApis(this.chain);
    this.rpc = new JsonRpcHandler(createRpcMethods(this), (error) => {
      this.logger.warn(`internal error in a JSON-RPC method: ${describeError(error)}`);
    });
    this.chain.onBlock((block) => {
      for (const session of this.sessions) session.onBlock(block);
    });
    if (blockTimeMs > 0) {
      this.timer = setInterval(() => {
        this.sealInBackground();
      }, blockTimeMs);
      this.timer.unref();
    }
  }

  /** Loads the runtime (once per process), validates the scenario and seals genesis. */
  static async create(options: DevnetOptions): Promise<DevnetNode> {
    const runtime = await SubtensorRuntime.load(options.material);
    const scenario = parseScenario(options.scenario ?? defaultScenario);
    const pruning = options.statePruning;
    if (pruning !== undefined && (!Number.isInteger(pruning) || pruning < 1)) {
      throw new DevnetError(
        DevnetErrorCode.InvalidOptions,
        `statePruning must be a whole number of blocks from 1 (got ${pruning})`,
      );
    }
    return new DevnetNode(
      runtime,
      scenario,
      options.blockTimeMs ?? 0,
      pruning,
      options.clock ?? systemClock,
      options.logger ?? silent,
    );
  }

  /** A connection's session; `send` pushes text to the client (notifications, and responses by the caller). */
  openSession(send: (message: string) => void, supportsSubscriptions = true): RpcSession {
    const session = new RpcSession(send, supportsSubscriptions);
    this.sessions.add(session);
    return session;
  }

  closeSession(session: RpcSession): void {
    session.close();
    this.sessions.delete(session);
  }

  /** Handles one JSON-RPC message (text) on a session; returns the response text, if any. */
  handleText(session: RpcSession, text: string): Promise<string | undefined> {
    return this.rpc.handleText(text, session);
  }

  /** Handles a parsed JSON-RPC body sent over HTTP (no subscriptions). */
  async handleHttp(body: unknown): Promise<unknown> {
    const session = new RpcSession(() => undefined, false);
    try {
      return await this.rpc.handle(body, session);
    } finally {
      session.close();
    }
  }

  submit(hex: Hex, watcher?: TransactionWatcher): { hash: Hex; status: 'ready' | 'future' } {
    this.assertOpen();
    const result = this.chain.submit(hex, watcher);
    if (this.blockTimeMs === 0 && !this.sealPending) {
      this.sealPending = true;
      setImmediate(() => {
        this.sealPending = false;
        if (!this.closed) this.sealInBackground();
      });
    }
    return result;
  }

  /** Seals from a timer: a failure is logged, and the next tick tries again. */
  private sealInBackground(): void {
    try {
      this.sealNow();
    } catch (error) {
      this.logger.warn(`sealing a block failed: ${describeError(error)}`);
    }
  }

  private sealNow(prepare?: Parameters<Chain['seal']>[0]): BlockRecord {
    const block = this.chain.seal(prepare);
    const count = block.extrinsics.length - 1;
    if (count > 0) this.logger.debug(`sealed block ${block.number} with ${count} extrinsic(s)`);
    return block;
  }

  /** Seals `count` blocks now; returns the last. */
  newBlocks(count: number): BlockRecord {
    this.assertOpen();
    let block = this.chain.head;
    for (let index = 0; index < count; index++) block = this.sealNow();
    return block;
  }

  /** Sets up a scenario's subnets in a new block (replacing subnets with the same netuid). */
  applyScenario(input: unknown): AppliedScenario {
    this.assertOpen();
    const scenario = parseScenario(input);
    const number = this.chain.head.number + 1;
    const block = this.sealNow((storage) => {
      applyScenario(storage, scenario, number);
    });
    this.logger.info(
      `scenario applied in block ${block.number}: netuids ${scenario.subnets.map((s) => s.netuid).join(', ')}`,
    );
    return describe(scenario, block);
  }

  /** Changes hyperparameters of an existing subnet in a new block. */
  setHyperparameters(netuid: number, input: unknown): BlockRecord {
    this.assertOpen();
    const parsed = hyperparametersSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      throw new DevnetError(
        DevnetErrorCode.InvalidScenario,
        `invalid hyperparameters: ${problems.join('; ')}`,
      );
    }
    if (!this.chain.storageAt().subBool('NetworksAdded', netuid)) {
      throw new DevnetError(DevnetErrorCode.InvalidScenario, `netuid ${netuid} does not exist`);
    }
    return this.sealNow((storage) => {
      writeHyperparameters(storage, netuid, parsed.data);
    });
  }

  /** False when the node pruned the block's state (older than the last `statePruning` blocks). */
  hasState(block: BlockRecord): boolean {
    return this.statePruning === undefined || this.chain.head.number - block.number < this.statePruning;
  }

  private assertOpen(): void {
    if (this.closed) throw new DevnetError(DevnetErrorCode.Closed, 'the devnet node is closed');
  }

  /** Stops block production and ends every session's subscriptions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const session of this.sessions) session.close();
    this.sessions.clear();
  }
}
