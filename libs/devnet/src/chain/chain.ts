import type { Extrinsic, Header } from '@polkadot/types/interfaces';
import { hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, blake2AsU8a, encodeAddress, signatureVerify } from '@polkadot/util-crypto';
import type { SubtensorRuntime } from '../runtime/subtensor-runtime';
import { type BlockContext, type CallInfo, DispatchFailure, type RuntimeLogic } from './dispatch';
import { type Hex, VersionedState } from './state';
import { Storage } from './storage';
import { TransactionError, TransactionErrorCode } from './transaction-error';

/** The header as the JSON-RPC returns it. */
export interface HeaderJson {
  parentHash: Hex;
  number: Hex;
  stateRoot: Hex;
  extrinsicsRoot: Hex;
  digest: { logs: Hex[] };
}

/** A sealed block: header, body, and the storage it changed. */
export interface BlockRecord {
  number: number;
  hash: Hex;
  header: HeaderJson;
  extrinsics: Hex[];
  /** Storage keys this block changed (null: removed), in key order. */
  changes: [Hex, Hex | null][];
  timestamp: number;
}

/** Where a watched extrinsic is, as author_extrinsicUpdate reports it. */
export type TransactionStatus = 'future' | 'ready' | 'invalid' | { inBlock: Hex } | { finalized: Hex };

export type TransactionWatcher = (status: TransactionStatus) => void;

interface PoolEntry {
  hash: Hex;
  hex: Hex;
  call: CallInfo;
  signer: string;
  nonce: number;
  watchers: Set<TransactionWatcher>;
}

/** What the chain tells its owner about applied extrinsics. */
export interface ChainHooks {
  /** An extrinsic was applied; `error` is the module error (Pallet.Error) when it failed. */
  onApplied?(call: CallInfo, signer: string, block: number, error: string | undefined): void;
  /** The devnet's own logic threw while applying a call (a bug, not a chain rule). */
  onDefect?(error: unknown, call: CallInfo): void;
}

/** The node's time source; tests replace it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Dispatch weight reported in events and fee queries; the devnet does not meter. */
const dispatchInfo = (mandatory = false) => ({
  weight: { refTime: 1_000_000, proofSize: 0 },
  class: mandatory ? 'Mandatory' : 'Normal',
  paysFee: mandatory ? 'No' : 'Yes',
});

const zeroHash: Hex = `0x${'00'.repeat(32)}`;

/**
 * One chain of blocks (instant finality: every block is final when sealed), its archive state, and a
 * transaction pool that validates like a node: format, signature against the real signing payload,
 * mortality, nonce (stale refused, future held back).
 */
export class Chain {
  readonly state = new VersionedState();
  private readonly blocks: BlockRecord[] = [];
  private readonly byHash = new Map<Hex, BlockRecord>();
  private readonly pool: PoolEntry[] = [];
  private readonly blockListeners = new Set<(block: BlockRecord) => void>();

  private readonly clock: Clock;
  private readonly hooks: ChainHooks;

  constructor(
    readonly runtime: SubtensorRuntime,
    private readonly logic: RuntimeLogic,
    options: { clock?: Clock } & ChainHooks = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.hooks = options;
  }

  /** Seals block 0 from the genesis storage that `build` writes; the same storage gives the same hash. */
  genesis(build: (storage: Storage) => void): BlockRecord {
    if (this.blocks.length > 0) throw new Error('the chain already has a genesis block');
    this.state.begin();
    const storage = this.pendingStorage();
    build(storage);
    storage.set('System', 'Number', [], 0);
    // No timestamp in genesis (block 1's inherent sets the first), so one scenario always gives one genesis hash.
    return this.finishBlock(0, zeroHash, zeroHash, [], 0);
  }

  get head(): BlockRecord {
    const head = this.blocks[this.blocks.length - 1];
    if (!head) throw new Error('the chain has no genesis block yet');
    return head;
  }

  get genesisHash(): Hex {
    return this.blockByNumber(0)?.hash ?? zeroHash;
  }

  blockByNumber(number: number): BlockRecord | undefined {
    return this.blocks[number];
  }

  blockByHash(hash: string): BlockRecord | undefined {
    return this.byHash.get(hash.toLowerCase() as Hex);
  }

  /** Storage as it was after a block (read-only). */
  storageAt(block: BlockRecord = this.head): Storage {
    return new Storage(this.runtime, {
      read: (key) => this.state.readAt(key, block.number),
      keys: (...prefixes) => prefixes.flatMap((prefix) => this.state.keysAt(prefix, block.number)),
    });
  }

  private pendingStorage(): Storage {
    return new Storage(this.runtime, {
      read: (key) => this.state.read(key),
      keys: (...prefixes) => this.state.keys(...prefixes),
      write: (key, value) => {
        this.state.write(key, value);
      },
    });
  }

  onBlock(listener: (block: BlockRecord) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  // ---- transaction pool

  /** The nonce the account's next transaction should carry: its on-chain nonce plus its ready pool entries. */
  nextNonce(address: string): number {
    const signer = encodeAddress(address, 42);
    let nonce = this.accountNonce(this.storageAt(), signer);
    while (this.pool.some((entry) => entry.signer === signer && entry.nonce === nonce)) nonce++;
    return nonce;
  }

  accountNonce(storage: Storage, address: string): number {
    const account = storage.get('System', 'Account', address).toJSON() as { nonce: number };
    return account.nonce;
  }

  pending(): Hex[] {
    return this.pool.map((entry) => entry.hex);
  }

  /** Validates an extrinsic and queues it; throws TransactionError the way a node's pool refuses. */
  submit(hex: string, watcher?: TransactionWatcher): { hash: Hex; status: 'ready' | 'future' } {
    let extrinsic: Extrinsic;
    try {
      extrinsic = this.runtime.registry.createType('Extrinsic', hexToU8a(hex));
    } catch (error) {
      throw new TransactionError(
        TransactionErrorCode.BadFormat,
        'Extrinsic has invalid format',
        error instanceof Error ? error.message : String(error),
      );
    }
    const hash = extrinsic.hash.toHex();
    if (this.pool.some((entry) => entry.hash === hash)) {
      throw new TransactionError(TransactionErrorCode.AlreadyImported, 'Transaction Already Imported');
    }
    if (!extrinsic.isSigned) throw TransactionError.invalid('Transaction call is not expected');
    const call: CallInfo = {
      section: extrinsic.method.section,
      method: extrinsic.method.method,
      args: [...extrinsic.method.args],
    };
    this.verifySignature(extrinsic);
    if (!this.logic.supports(call)) {
      throw TransactionError.invalid(
        `Transaction call is not expected: the devnet does not implement ${call.section}.${call.method}`,
      );
    }
    const signer = encodeAddress(extrinsic.signer.toString(), 42);
    const nonce = extrinsic.nonce.toNumber();
    const onChain = this.accountNonce(this.storageAt(), signer);
    if (nonce < onChain) throw TransactionError.invalid('Transaction is outdated');
    if (this.pool.some((entry) => entry.signer === signer && entry.nonce === nonce)) {
      throw new TransactionError(
        TransactionErrorCode.TooLowPriority,
        'Priority is too low',
        'The transaction has too low priority to replace another transaction already in the pool.',
      );
    }
    const entry: PoolEntry = { hash, hex: extrinsic.toHex(), call, signer, nonce, watchers: new Set() };
    if (watcher) entry.watchers.add(watcher);
    this.pool.push(entry);
    let expected = onChain;
    while (expected < nonce && this.pool.some((e) => e.signer === signer && e.nonce === expected)) expected++;
    return { hash, status: expected === nonce ? 'ready' : 'future' };
  }

  unwatch(watcher: TransactionWatcher): void {
    for (const entry of this.pool) entry.watchers.delete(watcher);
  }

  /** Checks the signature over the payload the runtime rebuilds: call, extensions, and what they sign implicitly. */
  private verifySignature(extrinsic: Extrinsic): void {
    const current = this.head.number + 1;
    const birth = extrinsic.era.isMortalEra ? extrinsic.era.asMortalEra.birth(current) : 0;
    const checkpoint = this.blockByNumber(birth);
    if (!checkpoint) throw TransactionError.invalid('Transaction has an ancient birth block');
    const payload = this.runtime.registry.createType(
      'ExtrinsicPayload',
      {
        method: extrinsic.method.toHex(),
        era: extrinsic.era,
        nonce: extrinsic.nonce,
        tip: extrinsic.tip,
        mode: extrinsic.mode,
        specVersion: this.runtime.version.specVersion,
        transactionVersion: this.runtime.version.transactionVersion,
        genesisHash: this.genesisHash,
        blockHash: checkpoint.hash,
      },
      { version: extrinsic.version & 0x7f },
    );
    let message = payload.toU8a({ method: true });
    if (message.length > 256) message = blake2AsU8a(message, 256);
    const valid = signatureVerify(message, extrinsic.signature.toU8a(), extrinsic.signer.toString()).isValid;
    if (!valid) throw TransactionError.invalid('Transaction has a bad signature');
  }

  // ---- blocks

  /**
   * Builds and seals the next block: the block hooks (epochs), the timestamp inherent, then every ready
   * extrinsic in nonce order; `prepare` writes storage first (dev scenario changes).
   */
  seal(prepare?: (storage: Storage) => void): BlockRecord {
    const parent = this.head;
    const number = parent.number + 1;
    const timestamp = Math.max(this.clock.now(), parent.timestamp + 1);
    this.state.begin();
    try {
      return this.build(parent, number, timestamp, prepare);
    } catch (error) {
      this.state.rollbackAll();
      throw error;
    }
  }

  private build(
    parent: BlockRecord,
    number: number,
    timestamp: number,
    prepare: ((storage: Storage) => void) | undefined,
  ): BlockRecord {
    const records: Uint8Array[] = [];
    const storage = this.pendingStorage();
    storage.set('System', 'Number', [], number);
    storage.set('System', 'ParentHash', [], parent.hash);
    storage.set('System', 'BlockHash', [parent.number], parent.hash);
    const context: BlockContext = {
      storage,
      block: number,
      now: timestamp,
      emit: (pallet, event, args) =>
        records.push(this.runtime.eventRecord('initialization', pallet, event, args)),
    };
    prepare?.(storage);
    this.logic.onInitialize(context);

    const extrinsics: Hex[] = [this.timestampInherent(timestamp)];
    storage.set('Timestamp', 'Now', [], timestamp);
    records.push(
      this.runtime.eventRecord({ applyExtrinsic: 0 }, 'System', 'ExtrinsicSuccess', [dispatchInfo(true)]),
    );

    const included: PoolEntry[] = [];
    const dropped: PoolEntry[] = [];
    for (let progress = true; progress;) {
      progress = false;
      for (const entry of [...this.pool]) {
        const expected = this.accountNonce(storage, entry.signer);
        if (entry.nonce < expected) {
          dropped.push(entry);
          this.pool.splice(this.pool.indexOf(entry), 1);
          continue;
        }
        if (entry.nonce !== expected) continue;
        this.pool.splice(this.pool.indexOf(entry), 1);
        const index = extrinsics.length;
        extrinsics.push(entry.hex);
        this.apply(context, entry, index, records);
        included.push(entry);
        progress = true;
      }
    }

    storage.set('System', 'EventCount', [], records.length);
    this.state.write(
      storage.item('System', 'Events').key(),
      u8aToHex(
        u8aConcat(this.runtime.registry.createType('Compact<u32>', records.length).toU8a(), ...records),
      ),
    );
    const block = this.finishBlock(number, parent.hash, parent.header.stateRoot, extrinsics, timestamp);
    for (const entry of dropped) for (const watcher of entry.watchers) watcher('invalid');
    for (const entry of included) {
      for (const watcher of entry.watchers) {
        watcher({ inBlock: block.hash });
        watcher({ finalized: block.hash });
      }
    }
    return block;
  }

  private apply(context: BlockContext, entry: PoolEntry, index: number, records: Uint8Array[]): void {
    const { storage } = context;
    const account = storage.get('System', 'Account', entry.signer).toJSON() as Record<string, unknown>;
    storage.set('System', 'Account', [entry.signer], {
      ...account,
      nonce: entry.nonce + 1,
      providers: Math.max(1, Number(account['providers'] ?? 0)),
    });
    const phase = { applyExtrinsic: index };
    const pending: Uint8Array[] = [];
    this.state.begin();
    try {
      this.logic.dispatch(
        {
          ...context,
          signer: entry.signer,
          emit: (pallet, event, args) => pending.push(this.runtime.eventRecord(phase, pallet, event, args)),
        },
        entry.call,
      );
      this.state.commitLayer();
      this.hooks.onApplied?.(entry.call, entry.signer, context.block, undefined);
      records.push(...pending);
      records.push(this.runtime.eventRecord(phase, 'System', 'ExtrinsicSuccess', [dispatchInfo()]));
    } catch (error) {
      this.state.rollback();
      // A defect in the devnet's own logic fails the extrinsic (DispatchError::Other), not the whole block.
      if (!(error instanceof DispatchFailure)) this.hooks.onDefect?.(error, entry.call);
      const failure = error instanceof DispatchFailure ? `${error.pallet}.${error.error}` : 'Other';
      this.hooks.onApplied?.(entry.call, entry.signer, context.block, failure);
      const dispatchError =
        error instanceof DispatchFailure ? this.runtime.moduleError(error.pallet, error.error) : 'Other';
      records.push(
        this.runtime.eventRecord(phase, 'System', 'ExtrinsicFailed', [dispatchError, dispatchInfo()]),
      );
    }
  }

  private timestampInherent(now: number): Hex {
    const { registry } = this.runtime;
    const call = registry.createType('Call', { callIndex: this.timestampSetIndex(), args: { now } });
    return registry.createType('Extrinsic', call).toHex();
  }

  private timestampSetIndex(): Uint8Array {
    const pallet = this.runtime.metadata.asLatest.pallets.find(
      (entry) => entry.name.toString() === 'Timestamp',
    );
    if (!pallet || pallet.calls.isNone) throw new Error('the metadata has no Timestamp calls');
    const variants = this.runtime.registry.lookup.getSiType(pallet.calls.unwrap().type).def.asVariant
      .variants;
    const set = variants.find((variant) => variant.name.toString() === 'set');
    if (!set) throw new Error('the metadata has no Timestamp.set');
    return new Uint8Array([pallet.index.toNumber(), set.index.toNumber()]);
  }

  private finishBlock(
    number: number,
    parentHash: Hex,
    parentStateRoot: Hex,
    extrinsics: Hex[],
    timestamp: number,
  ): BlockRecord {
    const changes = this.state.commitBlock(number);
    // Not a trie root: a hash chain over each block's changes, unique per state and cheap to compute.
    const stateRoot = blake2AsHex(
      u8aConcat(hexToU8a(parentStateRoot), new TextEncoder().encode(JSON.stringify(changes))),
    );
    const extrinsicsRoot = blake2AsHex(u8aConcat(...extrinsics.map((hex) => hexToU8a(hex))));
    const header: Header = this.runtime.registry.createType('Header', {
      parentHash,
      number,
      stateRoot,
      extrinsicsRoot,
      digest: { logs: [] },
    });
    const block: BlockRecord = {
      number,
      hash: header.hash.toHex(),
      header: {
        parentHash,
        number: `0x${number.toString(16)}`,
        stateRoot,
        extrinsicsRoot,
        digest: { logs: [] },
      },
      extrinsics,
      changes,
      timestamp,
    };
    this.blocks.push(block);
    this.byHash.set(block.hash, block);
    for (const listener of this.blockListeners) listener(block);
    return block;
  }
}
