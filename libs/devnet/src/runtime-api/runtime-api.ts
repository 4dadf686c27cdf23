import { compactAddLength, hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import type { BlockRecord, Chain } from '../chain/chain';
import type { Hex } from '../chain/state';
import { ScaleReader, ScaleWriter } from '../runtime/scale';
import { encodeNeuron, encodeNeurons } from './neuron-info';

/** A runtime API the devnet does not have, reported like a node's failed runtime call. */
export class RuntimeCallError extends Error {
  constructor(method: string) {
    super(`Client error: Execution failed: Other: Exported method ${method} is not found`);
    this.name = 'RuntimeCallError';
  }
}

const cacheSize = 64;

/**
 * The runtime APIs behind state_call, answered from a block's storage. Results are cached per block (and
 * arguments), so a 256-neuron metagraph is encoded once per block however often it is read.
 */
export class RuntimeApis {
  private readonly cache = new Map<string, Hex>();

  constructor(private readonly chain: Chain) {}

  call(method: string, data: Hex, block: BlockRecord): Hex {
    const key = `${block.hash}:${method}:${data}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const result = u8aToHex(this.compute(method, hexToU8a(data), block));
    this.cache.set(key, result);
    if (this.cache.size > cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return result;
  }

  private compute(method: string, data: Uint8Array, block: BlockRecord): Uint8Array {
    const { runtime } = this.chain;
    const storage = this.chain.storageAt(block);
    const reader = new ScaleReader(data);
    switch (method) {
      case 'Core_version':
        return runtime.registry.createType('RuntimeVersion', runtime.version).toU8a();
      case 'Metadata_metadata':
        return compactAddLength(hexToU8a(runtime.metadataHex));
      case 'Metadata_metadata_versions':
        return new ScaleWriter()
          .compact(1)
          .bytes(new Uint8Array([15, 0, 0, 0]))
          .finish();
      case 'Metadata_metadata_at_version': {
        const version = reader.u16() | (reader.u16() << 16);
        if (version !== 15) return new Uint8Array([0]);
        return u8aConcat(new Uint8Array([1]), compactAddLength(hexToU8a(runtime.metadataHex)));
      }
      case 'AccountNonceApi_account_nonce': {
        const account = runtime.registry.createType('AccountId32', data).toString();
        return runtime.registry.createType('u32', this.chain.accountNonce(storage, account)).toU8a();
      }
      case 'NeuronInfoRuntimeApi_get_neurons_lite':
        return encodeNeurons(storage, reader.u16(), false);
      case 'NeuronInfoRuntimeApi_get_neurons':
        return encodeNeurons(storage, reader.u16(), true);
      case 'NeuronInfoRuntimeApi_get_neuron_lite':
        return encodeNeuron(storage, reader.u16(), reader.u16(), false);
      case 'NeuronInfoRuntimeApi_get_neuron':
        return encodeNeuron(storage, reader.u16(), reader.u16(), true);
      // The devnet charges no fees: every extrinsic weighs the same and costs nothing.
      case 'TransactionPaymentApi_query_info':
        return runtime.registry
          .createType(runtime.runtimeApiOutput('TransactionPaymentApi', 'query_info'), {
            weight: { refTime: 1_000_000, proofSize: 0 },
            class: 'Normal',
            partialFee: 0,
          })
          .toU8a();
      case 'TransactionPaymentApi_query_fee_details':
        return runtime.registry
          .createType(runtime.runtimeApiOutput('TransactionPaymentApi', 'query_fee_details'), {
            inclusionFee: { baseFee: 0, lenFee: 0, adjustedWeightFee: 0 },
          })
          .toU8a();
      default:
        throw new RuntimeCallError(method);
    }
  }
}
