// What the specs use to talk to a running devnet the way a client does: a plain ApiPromise.
import { ApiPromise, HttpProvider, WsProvider } from '@polkadot/api';
import type {
  DecoratedCallBase,
  QueryableStorageEntry,
  SubmittableExtrinsic,
  SubmittableExtrinsicFunction,
} from '@polkadot/api/types';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { ISubmittableResult } from '@polkadot/types/types';
import { subtensorSignedExtensions } from '../metadata/extensions';

/** An ApiPromise on the devnet with current subtensor's transaction extensions, ready. */
export async function connectApi(url: string): Promise<ApiPromise> {
  const provider = url.startsWith('http') ? new HttpProvider(url) : new WsProvider(url, 250);
  const api = await ApiPromise.create({
    provider,
    noInitWarn: true,
    signedExtensions: subtensorSignedExtensions,
  });
  providers.set(api, provider);
  return api;
}

const providers = new WeakMap<ApiPromise, WsProvider | HttpProvider>();

const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });

/** A dev key (//Alice, //Alice//cold, …). */
export function devKey(uri: string): KeyringPair {
  return keyring.addFromUri(uri);
}

/** What happened to a submitted extrinsic once it was in a (final) block. */
export interface Outcome {
  blockHash: string;
  /** section.method of every event of the extrinsic, e.g. subtensorModule.WeightsSet. */
  events: string[];
  /** The decoded module error (Pallet.Error), as the client decodes it; undefined on success. */
  error: string | undefined;
}

/** Signs and submits, resolving when the extrinsic is finalized (or rejecting when the pool refuses it). */
export function submit(
  api: ApiPromise,
  extrinsic: SubmittableExtrinsic<'promise'>,
  signer: KeyringPair,
  options: { nonce?: number } = {},
): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    extrinsic
      .signAndSend(signer, { nonce: options.nonce ?? -1 }, (result: ISubmittableResult) => {
        if (result.status.isInvalid || result.status.isDropped) reject(new Error(result.status.type));
        if (!result.status.isFinalized) return;
        const failure = result.dispatchError;
        let error: string | undefined;
        if (failure?.isModule) {
          const meta = api.registry.findMetaError(failure.asModule);
          error = `${meta.section}.${meta.name}`;
        } else if (failure) error = failure.type;
        resolvePromise({
          blockHash: result.status.asFinalized.toHex(),
          events: result.events.map(({ event }) => `${event.section}.${event.method}`),
          error,
        });
      })
      .catch(reject);
  });
}

/** Calls a JSON-RPC method the client has no decoration for (dev_*). */
export function rpc<T>(api: ApiPromise, method: string, params: unknown[] = []): Promise<T> {
  const provider = providers.get(api);
  if (!provider) throw new Error('connect with connectApi() to call dev methods');
  return provider.send<T>(method, params);
}

type Tx = SubmittableExtrinsicFunction<'promise'>;
type Query = QueryableStorageEntry<'promise'>;
type RuntimeCall = DecoratedCallBase<'promise'>;
type Named<K extends string, V> = { [name in K]: V };

/** The parts of the metadata-decorated client the specs use (the client's static types cannot know them). */
export interface SubtensorClient {
  tx: {
    subtensorModule: Named<
      | 'setWeights'
      | 'commitWeights'
      | 'revealWeights'
      | 'commitTimelockedWeights'
      | 'serveAxon'
      | 'burnedRegister'
      | 'addStake'
      | 'removeStake',
      Tx
    >;
    system: Named<'remark', Tx>;
    balances: Named<'transferKeepAlive', Tx>;
  };
  query: {
    subtensorModule: Named<
      | 'tempo'
      | 'subnetworkN'
      | 'weightsSetRateLimit'
      | 'commitRevealWeightsEnabled'
      | 'validatorPermit'
      | 'keys'
      | 'uids'
      | 'totalHotkeyAlpha'
      | 'owner'
      | 'axons'
      | 'weights'
      | 'lastUpdate'
      | 'weightCommits'
      | 'timelockedWeightCommits'
      | 'lastMechansimStepBlock',
      Query
    >;
    system: Named<'account', Query>;
  };
  call: {
    neuronInfoRuntimeApi: Named<'getNeuronsLite' | 'getNeuronLite' | 'getNeurons', RuntimeCall>;
    accountNonceApi: Named<'accountNonce', RuntimeCall>;
  };
}

/** The decorated client, typed for the calls, storage items and runtime APIs the specs use. */
export function subtensorClient(api: ApiPromise): SubtensorClient {
  return api as unknown as SubtensorClient;
}
