import type { ApiPromise } from '@polkadot/api';
import type { ApiDecoration, SubmittableExtrinsic } from '@polkadot/api/types';
import type { Codec } from '@polkadot/types/types';
import { ChainError, ChainErrorCode } from './errors';

// Lookups by metadata name, so every call and storage item the lib uses is feature-detected and a
// missing one becomes an Unsupported ChainError naming it.

/** A SubtensorModule call as @polkadot/api decorates it. */
export type TxFactory = ((...args: unknown[]) => SubmittableExtrinsic<'promise'>) & {
  meta: { args: { length: number } };
};

/** A SubtensorModule storage item as @polkadot/api decorates it. */
export type StorageQuery = ((...args: unknown[]) => Promise<Codec>) & {
  multi: (args: unknown[]) => Promise<Codec[]>;
  entries: (...args: unknown[]) => Promise<[{ args: Codec[] }, Codec][]>;
};

type AnyApi = ApiPromise | ApiDecoration<'promise'>;

/** The SubtensorModule call `name` (camelCase), or undefined when the runtime lacks it. */
export function findTx(api: ApiPromise, name: string): TxFactory | undefined {
  const section = api.tx['subtensorModule'] as Record<string, TxFactory | undefined> | undefined;
  return section?.[name];
}

/** The SubtensorModule call `name`; throws Unsupported when the runtime lacks it. */
export function requireTx(api: ApiPromise, name: string): TxFactory {
  const tx = findTx(api, name);
  if (!tx) throw new ChainError(ChainErrorCode.Unsupported, `the chain has no SubtensorModule.${name} call`);
  return tx;
}

/** The SubtensorModule storage item `name` (camelCase), or undefined when the runtime lacks it. */
export function findQuery(api: AnyApi, name: string): StorageQuery | undefined {
  const section = api.query['subtensorModule'] as Record<string, StorageQuery | undefined> | undefined;
  return section?.[name];
}

/** The SubtensorModule storage item `name`; throws Unsupported when the runtime lacks it. */
export function requireQuery(api: AnyApi, name: string): StorageQuery {
  const query = findQuery(api, name);
  if (!query)
    throw new ChainError(ChainErrorCode.Unsupported, `the chain has no SubtensorModule.${name} storage`);
  return query;
}

/** NeuronInfoRuntimeApi.get_neurons_lite at this block, when the runtime offers it. */
export function findNeuronsLite(
  api: ApiDecoration<'promise'>,
): ((netuid: number) => Promise<Codec>) | undefined {
  const section = api.call['neuronInfoRuntimeApi'] as
    Record<string, ((netuid: number) => Promise<Codec>) | undefined> | undefined;
  return section?.['getNeuronsLite'];
}
