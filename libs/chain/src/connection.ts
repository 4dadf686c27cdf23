import { EventEmitter } from 'node:events';
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { ApiDecoration } from '@polkadot/api/types';
import { ChainError, ChainErrorCode, errorMessage } from './errors';
import { SUBTENSOR_SIGNED_EXTENSIONS, type SignedExtensionDefinitions } from './extensions';
import { silentLogger, type ChainLogger } from './logger';
import { DEFAULT_BACKOFF, retryWithBackoff, type BackoffOptions } from './retry';

/** Where the connection is in its life. */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface ChainConnectionOptions {
  /** WebSocket endpoints in order of preference; the next one is tried when one fails. */
  endpoints: readonly string[];
  /** An archive node for state older than `archiveDepth` blocks (non-archive nodes prune it). */
  archiveEndpoint?: string;
  /** Blocks of state a non-archive node keeps; older reads go to the archive endpoint. Default 256. */
  archiveDepth?: number;
  /** One attempt to open a socket. Default 5 s. */
  connectTimeoutMs?: number;
  /** Budget for the first connection, retries included, until the API is ready. Default 60 s. */
  readyTimeoutMs?: number;
  /** Timeout of one JSON-RPC request. Default 30 s. */
  requestTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Extra or replacement transaction extension definitions, merged over subtensor's. */
  signedExtensions?: SignedExtensionDefinitions;
  logger?: ChainLogger;
}

/** Why a read went to the archive endpoint. */
export type ArchiveFallbackReason =
  /** The block is further than `archiveDepth` behind the head. */
  | 'depth'
  /** The main node refused the read: its state for the block is discarded (pruned) or unknown. */
  | 'discarded';

/** One read the archive endpoint served instead of the main node. */
export interface ArchiveFallback {
  reason: ArchiveFallbackReason;
  /** The block asked for. */
  block: number;
  /** Its hash on the archive node. */
  hash: string;
}

interface ConnectionEvents {
  /** Every state change. */
  state: [state: ConnectionState];
  /** The API is ready; `reconnected` is false the first time. */
  ready: [info: { endpoint: string; reconnected: boolean }];
  /** The node went away; a reconnect loop has started. */
  disconnected: [info: { endpoint: string | undefined }];
  /** After a reconnect the chain had another genesis (a restarted dev chain): a new ApiPromise replaced the old. */
  reset: [];
  /** A read went to the archive endpoint (count it: a main node that often needs its archive is too pruned). */
  'archive-fallback': [info: ArchiveFallback];
}

/** A block to read state at, and the API and raw JSON-RPC of the node that holds its state. */
export interface BlockRef {
  api: ApiPromise;
  hash: string;
  number: number;
  /** True when this is the best block (it runs the API's current runtime). */
  latest: boolean;
  /** True when `api` and `send` belong to the archive connection. */
  archive: boolean;
  send: <T>(method: string, params: unknown[]) => Promise<T>;
}

/** A block to read state at: its hash and number, and the API decorated for it. */
export interface BlockApi {
  api: ApiDecoration<'promise'>;
  hash: string;
  number: number;
}

const DEFAULT_ARCHIVE_DEPTH = 256;
/** Spec versions remembered per block hash. */
const SPEC_VERSION_CACHE_SIZE = 1024;

/** True when a node refused a read because it no longer has (or never had) the block's state. */
export function isDiscardedStateError(error: unknown): boolean {
  const message = errorMessage(error);
  return /State already discarded|UnknownBlock|State pruned|state .*(?:discarded|pruned)/i.test(message);
}

/** The API decorated for a resolved block (for reads through @polkadot/api's storage and call decoration). */
export async function decorateBlock(ref: BlockRef): Promise<BlockApi> {
  // The best block runs the current runtime: passing its version spares the API two round trips.
  const api = ref.latest ? await ref.api.at(ref.hash, ref.api.runtimeVersion) : await ref.api.at(ref.hash);
  return { api, hash: ref.hash, number: ref.number };
}

/**
 * The one owner of the process's ApiPromise: connects with retries and backoff over a list of endpoints
 * (failover in order), reconnects when the node goes away, rebuilds the API when a dev chain restarted with
 * a new genesis, sends old-state reads to an archive node, and disconnects on shutdown.
 */
export class ChainConnection extends EventEmitter<ConnectionEvents> {
  readonly #options: ChainConnectionOptions;
  readonly #logger: ChainLogger;
  readonly #backoff: BackoffOptions;
  readonly #abort = new AbortController();
  #state: ConnectionState = 'idle';
  #provider: WsProvider | undefined;
  #api: ApiPromise | undefined;
  #connecting: Promise<ApiPromise> | undefined;
  /** True while a connect or reconnect loop owns the provider, so its failed attempts are not new outages. */
  #opening = false;
  #archive: ChainConnection | undefined;
  #readyWaiters: ((api: ApiPromise) => void)[] = [];
  #head: { hash: string; number: number } | undefined;
  readonly #specVersions = new Map<string, number>();

  constructor(options: ChainConnectionOptions) {
    super();
    if (options.endpoints.length === 0) {
      throw new ChainError(ChainErrorCode.InvalidOptions, 'at least one chain endpoint is needed');
    }
    for (const endpoint of [
      ...options.endpoints,
      ...(options.archiveEndpoint ? [options.archiveEndpoint] : []),
    ]) {
      if (!/^wss?:\/\/./.test(endpoint)) {
        throw new ChainError(
          ChainErrorCode.InvalidOptions,
          `chain endpoint ${endpoint} is not a ws:// or wss:// URL`,
        );
      }
    }
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The endpoint currently (or last) connected to. */
  get endpoint(): string | undefined {
    return this.#provider?.endpoint;
  }

  /** True while the API is ready to use. */
  get isReady(): boolean {
    return this.#state === 'ready';
  }

  /** The best block the node last announced (or an extrinsic of ours landed in); undefined while unknown. */
  get bestHead(): { hash: string; number: number } | undefined {
    return this.#head;
  }

  /** Records a block seen on this chain; the best head only moves forward. */
  observeBlock(hash: string, number: number): void {
    if (!this.#head || number > this.#head.number) this.#head = { hash, number };
  }

  /** The ready ApiPromise; throws NotConnected before `connect()` resolves or after `disconnect()`. */
  get api(): ApiPromise {
    if (!this.#api || this.#state === 'closed' || this.#state === 'idle' || this.#state === 'connecting') {
      throw new ChainError(ChainErrorCode.NotConnected, `the chain connection is ${this.#state}`);
    }
    return this.#api;
  }

  /** Connects (once; later calls share the first), resolving with the ready ApiPromise. */
  connect(): Promise<ApiPromise> {
    if (this.#state === 'closed') {
      return Promise.reject(new ChainError(ChainErrorCode.NotConnected, 'the chain connection was closed'));
    }
    this.#connecting ??= this.#start().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    return this.#connecting;
  }

  /** The ApiPromise once the connection is ready, waiting through a reconnect (connecting first if idle). */
  async ready(): Promise<ApiPromise> {
    if (this.#state === 'idle' || this.#state === 'connecting') return this.connect();
    if (this.#state === 'ready' && this.#api) return this.#api;
    if (this.#state === 'closed')
      throw new ChainError(ChainErrorCode.NotConnected, 'the chain connection was closed');
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** A raw JSON-RPC request on the current socket (node- or dev-specific methods the API does not decorate). */
  async send<T>(method: string, params: unknown[] = []): Promise<T> {
    await this.ready();
    const provider = this.#provider;
    if (!provider)
      throw new ChainError(ChainErrorCode.NotConnected, `the chain connection is ${this.#state}`);
    return provider.send<T>(method, params);
  }

  /** Disconnects for good: stops reconnecting and closes the sockets (the archive's too). */
  async disconnect(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#abort.abort();
    const api = this.#api;
    const provider = this.#provider;
    this.#api = undefined;
    await this.#archive?.disconnect();
    try {
      if (api) await api.disconnect();
      else if (provider) await provider.disconnect();
    } catch (error) {
      this.#logger.debug({ err: errorMessage(error) }, 'chain socket was already closed');
    }
  }

  /**
   * A block to read at: the best block when `block` is absent, else the block with that hash or number.
   * Blocks further than `archiveDepth` behind the head are read through the archive endpoint when one is
   * configured (event `archive-fallback`, reason `depth`); `api` and `send` then belong to the archive
   * connection. A block asked for by number is looked up on the archive by number; by hash, the archive must
   * hold that very hash (it does on the same chain, not on another dev chain with the same genesis).
   */
  async resolveBlock(block?: string | number): Promise<BlockRef> {
    const api = await this.ready();
    const main = <T>(method: string, params: unknown[]): Promise<T> => this.send<T>(method, params);
    if (block === undefined) {
      const header = await api.rpc.chain.getHeader();
      const hash = header.hash.toHex();
      return { api, hash, number: header.number.toNumber(), latest: true, archive: false, send: main };
    }
    let hash: string;
    let number: number;
    const head = this.#head;
    if (typeof block === 'number') {
      hash = (await api.rpc.chain.getBlockHash(block)).toHex();
      if (/^0x0+$/.test(hash))
        throw new ChainError(ChainErrorCode.QueryFailed, `block ${block} does not exist yet`);
      number = block;
    } else if (head && block.toLowerCase() === head.hash.toLowerCase()) {
      // The head the node announced: its number is known, no round trip.
      hash = head.hash;
      number = head.number;
    } else {
      const header = await api.rpc.chain.getHeader(block);
      hash = header.hash.toHex();
      number = header.number.toNumber();
    }
    if (await this.#beyondDepth(api, number)) {
      const ref = await this.#archiveRef(number, typeof block === 'string' ? hash : undefined);
      this.emit('archive-fallback', { reason: 'depth', block: number, hash: ref.hash });
      return ref;
    }
    return { api, hash, number, latest: false, archive: false, send: main };
  }

  /**
   * Runs `read` at a block (see resolveBlock). When the main node refuses it because the block's state is
   * discarded or unknown, and an archive endpoint is configured, `read` runs once more on the archive (event
   * `archive-fallback`, reason `discarded`).
   */
  async readAt<T>(block: string | number | undefined, read: (ref: BlockRef) => Promise<T>): Promise<T> {
    const ref = await this.resolveBlock(block);
    try {
      return await read(ref);
    } catch (error) {
      if (
        block === undefined ||
        ref.archive ||
        !this.#options.archiveEndpoint ||
        !isDiscardedStateError(error)
      ) {
        throw error;
      }
      this.#logger.debug(
        { block: ref.number, err: errorMessage(error) },
        'state discarded; reading the archive',
      );
      const archived = await this.#archiveRef(ref.number, typeof block === 'string' ? ref.hash : undefined);
      this.emit('archive-fallback', { reason: 'discarded', block: ref.number, hash: archived.hash });
      return read(archived);
    }
  }

  /** Like readAt, with the API decorated for the block. */
  readAtBlock<T>(block: string | number | undefined, read: (block: BlockApi) => Promise<T>): Promise<T> {
    return this.readAt(block, async (ref) => read(await decorateBlock(ref)));
  }

  /** The API decorated for a block (see resolveBlock), with the block's hash and number. */
  async atBlock(block?: string | number): Promise<BlockApi> {
    return decorateBlock(await this.resolveBlock(block));
  }

  /**
   * True when the block runs the same runtime (spec version) as its API's current one, so the API's metadata
   * describes its state. Spec versions are kept per block hash (bounded), so a repeated block costs no round trip.
   */
  async runsCurrentRuntime(ref: BlockRef): Promise<boolean> {
    if (ref.latest) return true;
    let specVersion = this.#specVersions.get(ref.hash);
    if (specVersion === undefined) {
      const version = await ref.send<{ specVersion: number }>('state_getRuntimeVersion', [ref.hash]);
      specVersion = version.specVersion;
      if (this.#specVersions.size >= SPEC_VERSION_CACHE_SIZE) {
        const oldest = this.#specVersions.keys().next();
        if (!oldest.done) this.#specVersions.delete(oldest.value);
      }
      this.#specVersions.set(ref.hash, specVersion);
    }
    return specVersion === ref.api.runtimeVersion.specVersion.toNumber();
  }

  async #beyondDepth(api: ApiPromise, number: number): Promise<boolean> {
    if (!this.#options.archiveEndpoint) return false;
    // The announced head spares a round trip; it can trail by a block, and a read the node then refuses
    // still reaches the archive through readAt.
    const head = this.#head?.number ?? (await api.rpc.chain.getHeader()).number.toNumber();
    return head - number > (this.#options.archiveDepth ?? DEFAULT_ARCHIVE_DEPTH);
  }

  /** Block `number` on the archive node (at `hash` when given). */
  async #archiveRef(number: number, hash: string | undefined): Promise<BlockRef> {
    const archiveEndpoint = this.#options.archiveEndpoint;
    if (!archiveEndpoint) {
      throw new ChainError(ChainErrorCode.InvalidOptions, 'no archive endpoint is configured');
    }
    this.#archive ??= new ChainConnection({
      ...this.#options,
      endpoints: [archiveEndpoint],
      archiveEndpoint: undefined,
    });
    const archive = this.#archive;
    await archive.connect();
    const api = await archive.ready();
    const send = <T>(method: string, params: unknown[]): Promise<T> => archive.send<T>(method, params);
    let archiveHash = hash;
    if (archiveHash === undefined) {
      const found = await send<string | null>('chain_getBlockHash', [number]);
      if (!found || /^0x0+$/.test(found)) {
        throw new ChainError(ChainErrorCode.QueryFailed, `the archive node has no block ${number}`);
      }
      archiveHash = found;
    }
    return { api, hash: archiveHash, number, latest: false, archive: true, send };
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    if (this.#state === 'closed') return;
    this.#state = state;
    this.emit('state', state);
  }

  #createProvider(): WsProvider {
    // autoConnect off: the reconnect loop below owns retries, backoff and failover; WsProvider rotates
    // through its endpoint list on every connect().
    return new WsProvider([...this.#options.endpoints], false, {}, this.#options.requestTimeoutMs ?? 30_000);
  }

  #assertOpen(): void {
    if (this.#state === 'closed') {
      throw new ChainError(ChainErrorCode.NotConnected, 'the chain connection was closed while connecting');
    }
  }

  async #start(): Promise<ApiPromise> {
    this.#setState('connecting');
    this.#opening = true;
    const readyTimeoutMs = this.#options.readyTimeoutMs ?? 60_000;
    const startedAt = Date.now();
    const provider = this.#createProvider();
    this.#provider = provider;
    try {
      await retryWithBackoff({
        endpointCount: this.#options.endpoints.length,
        attempt: () => this.#openSocket(provider),
        backoff: this.#backoff,
        timeoutMs: readyTimeoutMs,
        signal: this.#abort.signal,
        onFailure: (error, attempt, delayMs) => {
          this.#logger.warn(
            { endpoint: provider.endpoint, attempt, retryInMs: delayMs, err: errorMessage(error) },
            'chain endpoint unavailable',
          );
        },
      });
      this.#assertOpen();
      const api = new ApiPromise({
        provider,
        noInitWarn: true,
        signedExtensions: { ...SUBTENSOR_SIGNED_EXTENSIONS, ...this.#options.signedExtensions },
      });
      this.#api = api;
      try {
        await withTimeout(
          api.isReadyOrError,
          Math.max(1, readyTimeoutMs - (Date.now() - startedAt)),
          'the chain API',
        );
        this.#assertOpen();
      } catch (error) {
        throw error instanceof ChainError
          ? error
          : new ChainError(
              ChainErrorCode.ConnectionFailed,
              `the chain API did not initialise: ${errorMessage(error)}`,
              {
                cause: error,
              },
            );
      }
      provider.on('disconnected', () => {
        this.#onDisconnected(provider);
      });
      // The best head as the node announces it (`bestHead`); the provider renews the subscription after a
      // reconnect. Reads at "the latest block" still ask for the hash, since announcements trail a little.
      await api.rpc.chain.subscribeNewHeads((header) => {
        this.observeBlock(header.hash.toHex(), header.number.toNumber());
      });
      this.#assertOpen();
      this.#opening = false;
      this.#becomeReady(api, false);
      return api;
    } catch (error) {
      this.#opening = false;
      const api = this.#api;
      this.#api = undefined;
      if (api) await api.disconnect().catch(() => undefined);
      else await provider.disconnect().catch(() => undefined);
      if (this.#state !== 'closed') this.#setState('idle');
      throw error;
    }
  }

  #becomeReady(api: ApiPromise, reconnected: boolean): void {
    this.#setState('ready');
    const endpoint = this.#provider?.endpoint ?? '';
    this.#logger.info({ endpoint, reconnected }, 'chain connection ready');
    this.emit('ready', { endpoint, reconnected });
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const resolve of waiters) resolve(api);
  }

  #onDisconnected(provider: WsProvider): void {
    if (provider !== this.#provider || this.#opening || this.#state === 'closed') return;
    this.#opening = true;
    this.#head = undefined;
    this.#setState('reconnecting');
    this.#logger.warn({ endpoint: provider.endpoint }, 'chain node went away; reconnecting');
    this.emit('disconnected', { endpoint: provider.endpoint });
    this.#reconnect(provider).then(
      () => {
        this.#opening = false;
      },
      (error: unknown) => {
        this.#opening = false;
        if (this.#state !== 'closed') {
          this.#logger.error({ err: errorMessage(error) }, 'chain reconnect failed');
        }
      },
    );
  }

  async #reconnect(provider: WsProvider): Promise<void> {
    await retryWithBackoff({
      endpointCount: this.#options.endpoints.length,
      attempt: () => this.#openSocket(provider),
      backoff: this.#backoff,
      signal: this.#abort.signal,
      onFailure: (error, attempt, delayMs) => {
        this.#logger.debug(
          { endpoint: provider.endpoint, attempt, retryInMs: delayMs, err: errorMessage(error) },
          'chain reconnect attempt failed',
        );
      },
    });
    const api = this.#api;
    if (!api || this.#state === 'closed') return;
    const genesis = await provider.send<string>('chain_getBlockHash', [0]);
    if (genesis === api.genesisHash.toHex()) {
      this.#becomeReady(api, true);
      return;
    }
    // Same endpoint, new chain (a restarted dev chain): the old API would sign for the old genesis.
    this.#logger.warn({ endpoint: provider.endpoint }, 'chain genesis changed; rebuilding the API');
    this.#provider = undefined;
    this.#api = undefined;
    this.#head = undefined;
    await api.disconnect().catch(() => undefined);
    this.#connecting = undefined;
    this.#opening = false;
    await this.connect();
    this.emit('reset');
  }

  #openSocket(provider: WsProvider): Promise<void> {
    const timeoutMs = this.#options.connectTimeoutMs ?? 5_000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let lastError: unknown;
      const offs: (() => void)[] = [];
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const off of offs) off();
        if (error) reject(error);
        else resolve();
      };
      offs.push(
        provider.on('connected', () => {
          finish();
        }),
        provider.on('error', (error: unknown) => {
          lastError = error;
        }),
        provider.on('disconnected', () => {
          const detail = lastError === undefined ? 'connection closed' : describeSocketError(lastError);
          finish(new Error(`cannot reach ${provider.endpoint}: ${detail}`));
        }),
      );
      const timer = setTimeout(() => {
        // Close the half-open socket first: WsProvider refuses connect() while one exists.
        const closed = new Promise<void>((closedResolve) => {
          offs.push(
            provider.on('disconnected', () => {
              closedResolve();
            }),
          );
          setTimeout(closedResolve, 1_000).unref();
        });
        provider
          .disconnect()
          .catch(() => undefined)
          .then(() => closed)
          .finally(() => {
            finish(new Error(`no answer from ${provider.endpoint} within ${timeoutMs} ms`));
          })
          .catch(() => undefined);
      }, timeoutMs);
      provider.connect().catch((error: unknown) => {
        finish(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }
}

function describeSocketError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  if (typeof error === 'object' && error !== null && 'error' in error) {
    return describeSocketError(error.error);
  }
  return 'socket error';
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new ChainError(ChainErrorCode.ConnectionFailed, `${what} was not ready within ${timeoutMs} ms`),
          );
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
