import { hexToU8a } from '@polkadot/util';
import { blake2AsHex, encodeAddress } from '@polkadot/util-crypto';
import type { BlockRecord, Chain, TransactionStatus, TransactionWatcher } from '../chain/chain';
import type { Hex } from '../chain/state';
import type { RuntimeApis } from '../runtime-api/runtime-api';
import { Params } from './params';
import { RpcError, RpcErrorCode } from './rpc-error';
import type { RpcSession } from './session';

/** What the RPC methods need from the node beyond the chain itself. */
export interface NodeOperations {
  readonly chain: Chain;
  readonly apis: RuntimeApis;
  readonly name: string;
  readonly version: string;
  /** Queues an extrinsic (and, with instant seal, seals a block for it soon). */
  submit(hex: Hex, watcher?: TransactionWatcher): { hash: Hex; status: 'ready' | 'future' };
  newBlocks(count: number): BlockRecord;
  applyScenario(input: unknown): unknown;
  setHyperparameters(netuid: number, input: unknown): BlockRecord;
  /** False when state pruning discarded the block's state (its header stays). */
  hasState(block: BlockRecord): boolean;
}

export type RpcMethod = (params: Params, session: RpcSession) => unknown;

/** Substrate's limit on state_getKeysPaged's count. */
const maxKeysPerPage = 1000;
/** dev_newBlocks seals at most this many blocks per call. */
const maxNewBlocks = 100_000;

/** The JSON-RPC methods: the ones @polkadot/api uses on connect, for queries, for transactions, and dev_*. */
export function createRpcMethods(node: NodeOperations): Record<string, RpcMethod> {
  const { chain } = node;

  // The block whose state a method reads: unknown blocks and pruned state answer as Substrate's state RPC does.
  const blockAt = (hash: Hex | undefined): BlockRecord => {
    if (hash === undefined) return chain.head;
    const block = chain.blockByHash(hash);
    if (!block) {
      throw new RpcError(
        RpcErrorCode.ClientError,
        `Client error: UnknownBlock: Header was not found in the database: ${hash}`,
      );
    }
    if (!node.hasState(block)) {
      throw new RpcError(
        RpcErrorCode.ClientError,
        `Client error: UnknownBlock: State already discarded for ${block.hash}`,
      );
    }
    return block;
  };
  const read = (key: Hex, block: BlockRecord) => chain.state.readAt(key, block.number) ?? null;

  const headSubscription =
    (notification: string, endedBy: string[]): RpcMethod =>
    (_, session) => {
      const id = session.subscribe({
        notification,
        endedBy,
        onBlock: (block, notify) => {
          notify(block.header);
        },
      });
      session.notify(id, chain.head.header);
      return id;
    };
  const unsubscribe =
    (method: string): RpcMethod =>
    (params, session) =>
      session.unsubscribe(params.raw(0), method);

  const newHeadsEnds = ['chain_unsubscribeNewHeads', 'chain_unsubscribeNewHead', 'unsubscribe_newHead'];
  const finalizedEnds = ['chain_unsubscribeFinalizedHeads', 'chain_unsubscribeFinalisedHeads'];
  const allHeadsEnds = ['chain_unsubscribeAllHeads'];
  const runtimeVersionEnds = ['state_unsubscribeRuntimeVersion', 'chain_unsubscribeRuntimeVersion'];
  const storageEnds = ['state_unsubscribeStorage'];
  const extrinsicEnds = ['author_unwatchExtrinsic'];

  const getBlockHash: RpcMethod = (params) => {
    const value = params.raw(0);
    const one = (number: number | undefined) =>
      number === undefined ? chain.head.hash : (chain.blockByNumber(number)?.hash ?? null);
    if (Array.isArray(value)) {
      return value.map((_, index) => one(new Params('chain_getBlockHash', value).integer(index)));
    }
    return one(params.optionalInteger(0));
  };
  const getHeader: RpcMethod = (params) => {
    const hash = params.optionalHex(0);
    return (hash === undefined ? chain.head : chain.blockByHash(hash))?.header ?? null;
  };
  const getStorage: RpcMethod = (params) => read(params.hex(0), blockAt(params.optionalHex(1)));
  const getKeysPaged: RpcMethod = (params) => {
    const count = params.integer(1);
    if (count > maxKeysPerPage) {
      throw new RpcError(
        RpcErrorCode.InvalidCount,
        `count exceeds maximum value. value: ${count}, max: ${maxKeysPerPage}`,
      );
    }
    const block = blockAt(params.optionalHex(3));
    return chain.state.keysAt(params.hex(0), block.number, params.optionalHex(2), count);
  };
  const runtimeVersionSubscription: RpcMethod = (_, session) => {
    const id = session.subscribe({ notification: 'state_runtimeVersion', endedBy: runtimeVersionEnds });
    session.notify(id, chain.runtime.version);
    return id;
  };

  const methods: Record<string, RpcMethod> = {
    // ---- system
    system_name: () => node.name,
    system_version: () => node.version,
    system_chain: () => 'Bittensor devnet',
    system_chainType: () => 'Development',
    system_properties: () => ({ ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' }),
    system_health: () => ({ peers: 0, isSyncing: false, shouldHavePeers: false }),
    system_peers: () => [],
    system_localPeerId: () => '12D3KooWDevnetDevnetDevnetDevnetDevnetDevnetDevnet',
    system_localListenAddresses: () => [],
    system_nodeRoles: () => ['Authority'],
    system_syncState: () => ({
      startingBlock: 0,
      currentBlock: chain.head.number,
      highestBlock: chain.head.number,
    }),
    system_accountNextIndex: (params) => {
      try {
        return chain.nextNonce(encodeAddress(params.string(0), 42));
      } catch (error) {
        if (error instanceof RpcError) throw error;
        throw RpcError.invalidParams('system_accountNextIndex: parameter 0 must be an SS58 address');
      }
    },

    // ---- chain
    chain_getBlockHash: getBlockHash,
    chain_getHead: getBlockHash,
    chain_getHeader: getHeader,
    chain_getBlock: (params) => {
      const hash = params.optionalHex(0);
      const block = hash === undefined ? chain.head : chain.blockByHash(hash);
      return block
        ? { block: { header: block.header, extrinsics: block.extrinsics }, justifications: null }
        : null;
    },
    chain_getFinalizedHead: () => chain.head.hash,
    chain_getFinalisedHead: () => chain.head.hash,
    chain_subscribeNewHeads: headSubscription('chain_newHead', newHeadsEnds),
    chain_subscribeNewHead: headSubscription('chain_newHead', newHeadsEnds),
    subscribe_newHead: headSubscription('chain_newHead', newHeadsEnds),
    chain_subscribeFinalizedHeads: headSubscription('chain_finalizedHead', finalizedEnds),
    chain_subscribeFinalisedHeads: headSubscription('chain_finalizedHead', finalizedEnds),
    chain_subscribeAllHeads: headSubscription('chain_allHead', allHeadsEnds),
    chain_subscribeRuntimeVersion: runtimeVersionSubscription,
    ...Object.fromEntries(
      [...newHeadsEnds, ...finalizedEnds, ...allHeadsEnds, 'chain_unsubscribeRuntimeVersion'].map((name) => [
        name,
        unsubscribe(name),
      ]),
    ),

    // ---- state
    state_getMetadata: (params) => {
      blockAt(params.optionalHex(0));
      return chain.runtime.metadataHex;
    },
    state_getRuntimeVersion: (params) => {
      blockAt(params.optionalHex(0));
      return chain.runtime.version;
    },
    chain_getRuntimeVersion: (params) => {
      blockAt(params.optionalHex(0));
      return chain.runtime.version;
    },
    state_subscribeRuntimeVersion: runtimeVersionSubscription,
    state_unsubscribeRuntimeVersion: unsubscribe('state_unsubscribeRuntimeVersion'),
    state_getStorage: getStorage,
    state_getStorageAt: getStorage,
    state_getStorageHash: (params) => {
      const value = read(params.hex(0), blockAt(params.optionalHex(1)));
      return value === null ? null : blake2AsHex(hexToU8a(value));
    },
    state_getStorageSize: (params) => {
      const value = read(params.hex(0), blockAt(params.optionalHex(1)));
      return value === null ? null : (value.length - 2) / 2;
    },
    state_getKeys: (params) => {
      const block = blockAt(params.optionalHex(1));
      return chain.state.keysAt(params.hex(0), block.number);
    },
    state_getKeysPaged: getKeysPaged,
    state_getKeysPagedAt: getKeysPaged,
    state_getPairs: (params) => {
      const block = blockAt(params.optionalHex(1));
      return chain.state.keysAt(params.hex(0), block.number).map((key) => [key, read(key, block)]);
    },
    state_queryStorageAt: (params) => {
      const keys = params.hexList(0);
      const block = blockAt(params.optionalHex(1));
      return [{ block: block.hash, changes: keys.map((key) => [key, read(key, block)]) }];
    },
    state_queryStorage: (params) => {
      const keys = params.hexList(0);
      const from = blockAt(params.hex(1));
      const to = blockAt(params.optionalHex(2));
      if (to.number < from.number) {
        throw RpcError.invalidParams('state_queryStorage: the range ends before it starts');
      }
      const sets: { block: Hex; changes: [Hex, Hex | null][] }[] = [];
      for (let number = from.number; number <= to.number; number++) {
        const block = chain.blockByNumber(number);
        if (!block) break;
        const changes = keys
          .filter((key) => number === from.number || read(key, block) !== chain.state.readAt(key, number - 1))
          .map((key): [Hex, Hex | null] => [key, read(key, block)]);
        if (changes.length > 0) sets.push({ block: block.hash, changes });
      }
      return sets;
    },
    state_subscribeStorage: (params, session) => {
      const keys = params.optionalHexList(0);
      const watched = keys ? new Set(keys) : undefined;
      const id = session.subscribe({
        notification: 'state_storage',
        endedBy: storageEnds,
        onBlock: (block, notify) => {
          const changes = block.changes.filter(([key]) => !watched || watched.has(key));
          if (changes.length > 0) notify({ block: block.hash, changes });
        },
      });
      if (keys) {
        session.notify(id, {
          block: chain.head.hash,
          changes: keys.map((key) => [key, read(key, chain.head)]),
        });
      }
      return id;
    },
    state_unsubscribeStorage: unsubscribe('state_unsubscribeStorage'),
    state_call: (params) => node.apis.call(params.string(0), params.hex(1), blockAt(params.optionalHex(2))),

    // ---- author
    author_submitExtrinsic: (params) => node.submit(params.hex(0)).hash,
    author_submitAndWatchExtrinsic: (params, session) => {
      const hex = params.hex(0);
      session.requireSubscriptions();
      let id = '';
      const watcher: TransactionWatcher = (status: TransactionStatus) => {
        session.notify(id, status);
        if (status === 'invalid' || (typeof status === 'object' && 'finalized' in status)) session.end(id);
      };
      const { status } = node.submit(hex, watcher);
      id = session.subscribe({
        notification: 'author_extrinsicUpdate',
        endedBy: extrinsicEnds,
        cleanup: () => {
          chain.unwatch(watcher);
        },
      });
      session.notify(id, status);
      return id;
    },
    author_unwatchExtrinsic: unsubscribe('author_unwatchExtrinsic'),
    author_pendingExtrinsics: () => chain.pending(),

    // ---- payment (the devnet charges no fees)
    payment_queryInfo: (params) => {
      params.hex(0);
      return { weight: { refTime: 1_000_000, proofSize: 0 }, class: 'normal', partialFee: '0' };
    },
    payment_queryFeeDetails: (params) => {
      params.hex(0);
      return { inclusionFee: { baseFee: '0x0', lenFee: '0x0', adjustedWeightFee: '0x0' } };
    },

    // ---- dev
    dev_newBlocks: (params) => {
      const count = params.optionalInteger(0) ?? 1;
      if (count < 1 || count > maxNewBlocks) {
        throw RpcError.invalidParams(`dev_newBlocks: count must be from 1 to ${maxNewBlocks}`);
      }
      return node.newBlocks(count).number;
    },
    dev_head: () => ({ number: chain.head.number, hash: chain.head.hash, timestamp: chain.head.timestamp }),
    dev_applyScenario: (params) => node.applyScenario(params.raw(0)),
    dev_setHyperparameters: (params) => node.setHyperparameters(params.integer(0), params.raw(1)).number,
  };
  methods['rpc_methods'] = () => ({ version: 1, methods: Object.keys(methods).sort() });
  return methods;
}
