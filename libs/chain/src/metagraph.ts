import type { ApiPromise } from '@polkadot/api';
import type { ApiDecoration } from '@polkadot/api/types';
import type { Codec } from '@polkadot/types/types';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, encodeAddress, xxhashAsU8a } from '@polkadot/util-crypto';
import { findNeuronsLite, findQuery, requireQuery } from './access';
import { decodeAxonIp, type AxonInfo } from './axon';
import type { BlockRef } from './connection';
import { ChainError, ChainErrorCode, errorMessage } from './errors';
import { NeuronsLiteDecoder } from './neurons-lite';
import { ScaleDecoder, type ScaleValue } from './scale-decoder';
import { U16_MAX } from './weights';

/** A u16 score as the chain stores it and as a fraction in [0, 1]. */
export interface NeuronScores {
  rank: number;
  trust: number;
  incentive: number;
  consensus: number;
  dividends: number;
  validatorTrust: number;
}

/** One neuron of a subnet. */
export interface Neuron {
  uid: number;
  hotkey: string;
  coldkey: string;
  active: boolean;
  axon: AxonInfo;
  /** Stake on the hotkey in rao (the sum of its stake entries). */
  stake: bigint;
  validatorPermit: boolean;
  /** Scores normalised to [0, 1] (u16 / 65535). */
  rank: number;
  trust: number;
  incentive: number;
  consensus: number;
  dividends: number;
  validatorTrust: number;
  /** The same scores as raw u16 values. */
  raw: NeuronScores;
  /** Emission in rao per the last epoch. */
  emission: bigint;
  lastUpdate: number;
  blockAtRegistration: number;
}

/** A subnet's neurons at one block. */
export interface Metagraph {
  netuid: number;
  block: number;
  blockHash: string;
  /** `runtime-api` when read through NeuronInfoRuntimeApi.get_neurons_lite, `storage` otherwise. */
  source: 'runtime-api' | 'storage';
  neurons: Neuron[];
}

/** The parts of NeuronInfoLite (and AxonInfo) the metagraph reads; field names as @polkadot/api camel-cases them. */
interface NumberCodec extends Codec {
  toNumber(): number;
  toBigInt(): bigint;
  unwrap?: () => NumberCodec;
}
interface OptionCodec<T> extends Codec {
  isSome: boolean;
  unwrap(): T;
}
interface BoolCodec extends Codec {
  isTrue: boolean;
}
interface AxonInfoCodec extends Codec {
  block: NumberCodec;
  version: NumberCodec;
  ip: NumberCodec;
  port: NumberCodec;
  ipType: NumberCodec;
  protocol: NumberCodec;
}
interface NeuronInfoLiteCodec extends Codec {
  hotkey: Codec;
  coldkey: Codec;
  uid: NumberCodec;
  active: BoolCodec;
  axonInfo: AxonInfoCodec;
  stake: (Codec & [Codec, NumberCodec])[];
  rank?: NumberCodec;
  emission: NumberCodec;
  incentive: NumberCodec;
  consensus: NumberCodec;
  trust?: NumberCodec;
  validatorTrust: NumberCodec;
  dividends: NumberCodec;
  lastUpdate: NumberCodec;
  validatorPermit: BoolCodec;
}

const NO_AXON: AxonInfo = { ip: '0.0.0.0', port: 0, ipType: 0, protocol: 0, version: 0, block: 0 };

function toNumber(codec: NumberCodec | undefined): number {
  return codec ? codec.toNumber() : 0;
}

function axonFrom(codec: AxonInfoCodec | undefined): AxonInfo {
  if (!codec) return { ...NO_AXON };
  const ipType = codec.ipType.toNumber();
  return {
    ip: decodeAxonIp(codec.ip.toBigInt(), ipType),
    port: codec.port.toNumber(),
    ipType,
    protocol: codec.protocol.toNumber(),
    version: codec.version.toNumber(),
    block: codec.block.toNumber(),
  };
}

/** Builds a Neuron from u16 scores and the rest (fields listed, not spread: this runs for every neuron). */
function neuron(fields: Omit<Neuron, keyof NeuronScores | 'raw'> & { raw: NeuronScores }): Neuron {
  const { raw } = fields;
  return {
    uid: fields.uid,
    hotkey: fields.hotkey,
    coldkey: fields.coldkey,
    active: fields.active,
    axon: fields.axon,
    stake: fields.stake,
    validatorPermit: fields.validatorPermit,
    rank: raw.rank / U16_MAX,
    trust: raw.trust / U16_MAX,
    incentive: raw.incentive / U16_MAX,
    consensus: raw.consensus / U16_MAX,
    dividends: raw.dividends / U16_MAX,
    validatorTrust: raw.validatorTrust / U16_MAX,
    raw,
    emission: fields.emission,
    lastUpdate: fields.lastUpdate,
    blockAtRegistration: fields.blockAtRegistration,
  };
}

/** True when the chain offers NeuronInfoRuntimeApi.get_neurons_lite at this block. */
export function hasNeuronsLiteApi(api: ApiDecoration<'promise'>): boolean {
  return findNeuronsLite(api) !== undefined;
}

/** Reads BlockAtRegistration for every uid of the subnet (a double map netuid, uid → block). */
async function blocksAtRegistration(
  api: ApiDecoration<'promise'>,
  netuid: number,
): Promise<Map<number, number>> {
  const entry = findQuery(api, 'blockAtRegistration');
  const blocks = new Map<number, number>();
  if (!entry) return blocks;
  for (const [key, value] of await entry.entries(netuid)) {
    const uid = (key.args[1] as NumberCodec).toNumber();
    blocks.set(uid, (value as NumberCodec).toNumber());
  }
  return blocks;
}

/** The metagraph through the runtime API (one call) plus BlockAtRegistration, which NeuronInfoLite lacks. */
export async function metagraphFromRuntimeApi(
  api: ApiDecoration<'promise'>,
  netuid: number,
): Promise<Neuron[]> {
  const getNeuronsLite = findNeuronsLite(api);
  if (!getNeuronsLite) {
    throw new ChainError(
      ChainErrorCode.Unsupported,
      'the chain has no NeuronInfoRuntimeApi.get_neurons_lite',
    );
  }
  const [lite, registeredAt] = await Promise.all([getNeuronsLite(netuid), blocksAtRegistration(api, netuid)]);
  const neurons = lite as unknown as NeuronInfoLiteCodec[];
  return neurons.map((info) => {
    const uid = info.uid.toNumber();
    let stake = 0n;
    for (const [, amount] of info.stake) stake += amount.toBigInt();
    return neuron({
      uid,
      hotkey: info.hotkey.toString(),
      coldkey: info.coldkey.toString(),
      active: info.active.isTrue,
      axon: axonFrom(info.axonInfo),
      stake,
      validatorPermit: info.validatorPermit.isTrue,
      raw: {
        rank: toNumber(info.rank),
        trust: toNumber(info.trust),
        incentive: info.incentive.toNumber(),
        consensus: info.consensus.toNumber(),
        dividends: info.dividends.toNumber(),
        validatorTrust: info.validatorTrust.toNumber(),
      },
      emission: info.emission.toBigInt(),
      lastUpdate: info.lastUpdate.toNumber(),
      blockAtRegistration: registeredAt.get(uid) ?? 0,
    });
  });
}

async function vectorOf(
  api: ApiDecoration<'promise'>,
  name: string,
  netuid: number,
): Promise<NumberCodec[] | BoolCodec[]> {
  const item = findQuery(api, name);
  if (!item) return [];
  return (await item(netuid)) as unknown as NumberCodec[];
}

/**
 * The metagraph from storage, for chains without the runtime API: Keys, Owner, Axons, Active,
 * ValidatorPermit, the score vectors, Emission, LastUpdate, BlockAtRegistration and the hotkey's stake.
 */
export async function metagraphFromStorage(api: ApiDecoration<'promise'>, netuid: number): Promise<Neuron[]> {
  const keys = requireQuery(api, 'keys');
  const [
    entries,
    active,
    permit,
    rank,
    trust,
    incentive,
    consensus,
    dividends,
    validatorTrust,
    emission,
    lastUpdate,
    registeredAt,
  ] = await Promise.all([
    keys.entries(netuid),
    vectorOf(api, 'active', netuid),
    vectorOf(api, 'validatorPermit', netuid),
    vectorOf(api, 'rank', netuid),
    vectorOf(api, 'trust', netuid),
    vectorOf(api, 'incentive', netuid),
    vectorOf(api, 'consensus', netuid),
    vectorOf(api, 'dividends', netuid),
    vectorOf(api, 'validatorTrust', netuid),
    vectorOf(api, 'emission', netuid),
    vectorOf(api, 'lastUpdate', netuid),
    blocksAtRegistration(api, netuid),
  ]);
  const hotkeys = entries
    .map(([key, value]) => ({ uid: (key.args[1] as NumberCodec).toNumber(), hotkey: value.toString() }))
    .sort((a, b) => a.uid - b.uid);
  const owner = findQuery(api, 'owner');
  const axons = findQuery(api, 'axons');
  const alpha = findQuery(api, 'totalHotkeyAlpha');
  const legacyStake = findQuery(api, 'totalHotkeyStake');
  const [coldkeys, axonInfos, stakes] = await Promise.all([
    owner ? owner.multi(hotkeys.map(({ hotkey }) => hotkey)) : Promise.resolve([]),
    axons ? axons.multi(hotkeys.map(({ hotkey }) => [netuid, hotkey])) : Promise.resolve([]),
    alpha
      ? alpha.multi(hotkeys.map(({ hotkey }) => [hotkey, netuid]))
      : legacyStake
        ? legacyStake.multi(hotkeys.map(({ hotkey }) => hotkey))
        : Promise.resolve([]),
  ]);
  const numberAt = (vector: NumberCodec[] | BoolCodec[], uid: number): number =>
    (vector[uid] as NumberCodec | undefined)?.toNumber() ?? 0;
  const flagAt = (vector: NumberCodec[] | BoolCodec[], uid: number): boolean =>
    (vector[uid] as BoolCodec | undefined)?.isTrue ?? false;
  return hotkeys.map(({ uid, hotkey }, index) => {
    // Axons is an OptionQuery on subtensor: None for a neuron that never served.
    const axonOption = axonInfos[index] as OptionCodec<AxonInfoCodec> | undefined;
    const axon = axonOption?.isSome ? axonOption.unwrap() : undefined;
    return neuron({
      uid,
      hotkey,
      coldkey: coldkeys[index]?.toString() ?? '',
      active: flagAt(active, uid),
      axon: axonFrom(axon),
      stake: (stakes[index] as NumberCodec | undefined)?.toBigInt() ?? 0n,
      validatorPermit: flagAt(permit, uid),
      raw: {
        rank: numberAt(rank, uid),
        trust: numberAt(trust, uid),
        incentive: numberAt(incentive, uid),
        consensus: numberAt(consensus, uid),
        dividends: numberAt(dividends, uid),
        validatorTrust: numberAt(validatorTrust, uid),
      },
      emission: (emission[uid] as NumberCodec | undefined)?.toBigInt() ?? 0n,
      lastUpdate: numberAt(lastUpdate, uid),
      blockAtRegistration: registeredAt.get(uid) ?? 0,
    });
  });
}

/**
 * SS58 text of account ids, remembered: encoding costs tens of microseconds each (blake2 checksum and
 * base58) and a metagraph re-reads the same two accounts per neuron on every call.
 */
export class AddressCache {
  readonly #buckets = new Map<number, { accountId: Uint8Array; address: string }[]>();
  #size = 0;

  constructor(
    private readonly ss58Format = 42,
    private readonly limit = 100_000,
  ) {}

  /** The SS58 address of a 32-byte account id. */
  encode(accountId: Uint8Array): string {
    if (accountId.length !== 32) return encodeAddress(accountId, this.ss58Format);
    return this.encodeAt(accountId, 0);
  }

  /** The SS58 address of the 32-byte account id at `offset` of `bytes` (no copy on a hit). */
  encodeAt(bytes: Uint8Array, offset: number): string {
    // Keyed by 30 bits of the id (a small integer, which maps hash fastest); the 32 bytes are compared on a hit.
    const key =
      (bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      (((bytes[offset + 3] ?? 0) & 0x3f) << 24);
    const bucket = this.#buckets.get(key);
    if (bucket) {
      for (const entry of bucket) {
        if (sameBytesAt(entry.accountId, bytes, offset)) return entry.address;
      }
    }
    if (this.#size >= this.limit) {
      this.#buckets.clear();
      this.#size = 0;
    }
    const accountId = bytes.slice(offset, offset + 32);
    const address = encodeAddress(accountId, this.ss58Format);
    const entry = { accountId, address };
    if (bucket) bucket.push(entry);
    else this.#buckets.set(key, [entry]);
    this.#size++;
    return address;
  }
}

function sameBytesAt(id: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (id[i] !== bytes[offset + i]) return false;
  return true;
}

interface RuntimeMethod {
  inputs: number[];
  output: number;
}

interface RegistryTools {
  decoder: ScaleDecoder;
  neuronsLite: RuntimeMethod | undefined;
  /** The specialised reader of get_neurons_lite's answer, when this metadata lays it out as it expects. */
  neuronsLiteDecoder: NeuronsLiteDecoder | undefined;
  /** get_neurons_lite's encoded argument per netuid. */
  inputs: Map<number, string>;
}

const registryTools = new WeakMap<object, RegistryTools>();

/** The portable type ids of a runtime API method, from the v15+ metadata's `apis` section. */
function runtimeMethod(api: ApiPromise, apiName: string, methodName: string): RuntimeMethod | undefined {
  if (api.runtimeMetadata.version < 15) return undefined;
  const latest = api.runtimeMetadata.asLatest as unknown as {
    apis?: {
      name: Codec;
      methods: { name: Codec; inputs: { type: { toNumber(): number } }[]; output: { toNumber(): number } }[];
    }[];
  };
  const method = latest.apis
    ?.find((entry) => entry.name.toString() === apiName)
    ?.methods.find((entry) => entry.name.toString() === methodName);
  if (!method) return undefined;
  return { inputs: method.inputs.map((input) => input.type.toNumber()), output: method.output.toNumber() };
}

function toolsFor(api: ApiPromise): RegistryTools {
  let tools = registryTools.get(api.registry);
  if (!tools) {
    const decoder = new ScaleDecoder(api.registry.lookup);
    const neuronsLite = runtimeMethod(api, 'NeuronInfoRuntimeApi', 'get_neurons_lite');
    tools = {
      decoder,
      neuronsLite,
      neuronsLiteDecoder: neuronsLite
        ? NeuronsLiteDecoder.compile(api.registry.lookup, neuronsLite.output, decoder)
        : undefined,
      inputs: new Map(),
    };
    registryTools.set(api.registry, tools);
  }
  return tools;
}

function layoutError(field: string): ChainError {
  return new ChainError(ChainErrorCode.QueryFailed, `unexpected NeuronInfoLite layout: ${field}`);
}

function field(value: ScaleValue | undefined, name: string): ScaleValue | undefined {
  if (
    value === null ||
    value === undefined ||
    typeof value !== 'object' ||
    value instanceof Uint8Array ||
    Array.isArray(value)
  ) {
    throw layoutError(`not a struct around ${name}`);
  }
  return value[name];
}

function asNumber(value: ScaleValue | undefined, name: string, optional = false): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined && optional) return 0;
  throw layoutError(`${name} is not a number`);
}

function asBigInt(value: ScaleValue | undefined, name: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  throw layoutError(`${name} is not a number`);
}

function asAccount(value: ScaleValue | undefined, name: string): Uint8Array {
  if (value instanceof Uint8Array && value.length === 32) return value;
  throw layoutError(`${name} is not a 32-byte account id`);
}

/** One decoded NeuronInfoLite (field names as in subtensor's metadata) to a Neuron. */
function neuronFromLite(info: ScaleValue, addresses: AddressCache): Neuron {
  const uid = asNumber(field(info, 'uid'), 'uid');
  const axonInfo = field(info, 'axon_info');
  const ipType = asNumber(field(axonInfo, 'ip_type'), 'axon_info.ip_type');
  const stakeEntries = field(info, 'stake');
  if (!Array.isArray(stakeEntries)) throw layoutError('stake is not a list');
  let stake = 0n;
  for (const entry of stakeEntries) {
    if (!Array.isArray(entry)) throw layoutError('stake entry is not a pair');
    stake += asBigInt(entry[1], 'stake amount');
  }
  return neuron({
    uid,
    hotkey: addresses.encode(asAccount(field(info, 'hotkey'), 'hotkey')),
    coldkey: addresses.encode(asAccount(field(info, 'coldkey'), 'coldkey')),
    active: field(info, 'active') === true,
    axon: {
      ip: decodeAxonIp(asBigInt(field(axonInfo, 'ip'), 'axon_info.ip'), ipType),
      port: asNumber(field(axonInfo, 'port'), 'axon_info.port'),
      ipType,
      protocol: asNumber(field(axonInfo, 'protocol'), 'axon_info.protocol'),
      version: asNumber(field(axonInfo, 'version'), 'axon_info.version'),
      block: asNumber(field(axonInfo, 'block'), 'axon_info.block'),
    },
    stake,
    validatorPermit: field(info, 'validator_permit') === true,
    raw: {
      rank: asNumber(field(info, 'rank'), 'rank', true),
      trust: asNumber(field(info, 'trust'), 'trust', true),
      incentive: asNumber(field(info, 'incentive'), 'incentive'),
      consensus: asNumber(field(info, 'consensus'), 'consensus'),
      dividends: asNumber(field(info, 'dividends'), 'dividends'),
      validatorTrust: asNumber(field(info, 'validator_trust'), 'validator_trust'),
    },
    emission: asBigInt(field(info, 'emission'), 'emission'),
    lastUpdate: asNumber(field(info, 'last_update'), 'last_update'),
    // filled in by the caller, which reads BlockAtRegistration separately
    blockAtRegistration: 0,
  });
}

/**
 * A get_neurons_lite answer decoded with the generic reader compiled from the metadata (the specialised
 * NeuronsLiteDecoder gives the same neurons faster; this is the path for layouts it does not know).
 */
export function decodeNeuronsLite(
  decoder: ScaleDecoder,
  typeId: number,
  bytes: Uint8Array,
  addresses: AddressCache,
): Neuron[] {
  const decoded = decoder.decode(typeId, bytes);
  if (!Array.isArray(decoded)) throw layoutError('the answer is not a list');
  return decoded.map((info) => neuronFromLite(info, addresses));
}

function bytesOf(hex: string): Uint8Array {
  return Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');
}

/** The node and block a fast metagraph read goes to. */
export type StateCallTarget = Pick<BlockRef, 'api' | 'hash' | 'send'>;

interface Registration {
  hotkey: string;
  block: number;
}

interface SubnetRegistrations {
  /** Block of the last read of every uid's BlockAtRegistration. */
  fullReadAt: number;
  byUid: Map<number, Registration>;
  keys: Map<number, string>;
}

/**
 * What repeated metagraph reads reuse: SS58 text, and each uid's BlockAtRegistration, which changes only
 * when another hotkey takes the uid. Those are re-read for uids whose hotkey changed, and all of them when
 * the last full read is `refreshBlocks` old (a hotkey could in principle come back to its old uid).
 */
export class MetagraphCache {
  readonly addresses: AddressCache;
  readonly #subnets = new Map<number, SubnetRegistrations>();

  constructor(
    readonly refreshBlocks = 64,
    addresses = new AddressCache(),
  ) {
    this.addresses = addresses;
  }

  /** The cached registrations of `netuid` (created empty). */
  subnet(netuid: number): SubnetRegistrations {
    let subnet = this.#subnets.get(netuid);
    if (!subnet) {
      subnet = { fullReadAt: Number.NEGATIVE_INFINITY, byUid: new Map(), keys: new Map() };
      this.#subnets.set(netuid, subnet);
    }
    return subnet;
  }
}

type KeyedItem = NonNullable<ReturnType<typeof findQuery>> & {
  key: (...args: unknown[]) => string;
  keyPrefix: (...args: unknown[]) => string;
  creator: { meta: { type: { asMap: { hashers: { type: string }[] } } } };
};

/**
 * Storage keys of a (netuid, uid) double map for many uids. @polkadot/api builds one in about half a
 * millisecond; this appends the hashed u16 to the netuid prefix and checks itself against the API once.
 */
function uidKeyBuilder(item: KeyedItem, netuid: number): (uid: number) => string {
  const prefix = item.keyPrefix(netuid);
  const hasher = item.creator.meta.type.asMap.hashers[1]?.type ?? 'unknown';
  const build = (uid: number): string => {
    const encoded = new Uint8Array([uid & 0xff, uid >> 8]);
    switch (hasher) {
      case 'Identity':
        return prefix + u8aToHex(encoded, -1, false);
      case 'Twox64Concat':
        return prefix + u8aToHex(u8aConcat(xxhashAsU8a(encoded, 64), encoded), -1, false);
      case 'Blake2_128Concat':
        return prefix + u8aToHex(u8aConcat(blake2AsU8a(encoded, 128), encoded), -1, false);
      default:
        return item.key(netuid, uid);
    }
  };
  return build(1) === item.key(netuid, 1) ? build : (uid) => item.key(netuid, uid);
}

/** Brings the cached BlockAtRegistration of `netuid` up to date for these (uid, hotkey) pairs. */
async function refreshRegistrations(
  target: StateCallTarget,
  netuid: number,
  blockNumber: number,
  neurons: { uid: number; hotkey: string }[],
  cache: MetagraphCache,
): Promise<Map<number, Registration>> {
  const subnet = cache.subnet(netuid);
  const item = findQuery(target.api, 'blockAtRegistration') as KeyedItem | undefined;
  const full = blockNumber - subnet.fullReadAt >= cache.refreshBlocks || blockNumber < subnet.fullReadAt;
  const stale = neurons.filter(({ uid, hotkey }) => full || subnet.byUid.get(uid)?.hotkey !== hotkey);
  if (stale.length > 0) {
    const values = new Map<number, number>();
    if (item) {
      let builder: ((uid: number) => string) | undefined;
      const keyOf = (uid: number): string => {
        let key = subnet.keys.get(uid);
        if (key === undefined) {
          builder ??= uidKeyBuilder(item, netuid);
          key = builder(uid);
          subnet.keys.set(uid, key);
        }
        return key;
      };
      const uidByKey = new Map(stale.map(({ uid }) => [keyOf(uid), uid]));
      const sets = await target.send<{ changes: [string, string | null][] }[]>('state_queryStorageAt', [
        [...uidByKey.keys()],
        target.hash,
      ]);
      for (const set of sets) {
        for (const [key, value] of set.changes) {
          const uid = uidByKey.get(key);
          const bytes = value ? bytesOf(value) : undefined;
          if (uid !== undefined)
            values.set(uid, bytes && bytes.length >= 8 ? Number(Buffer.from(bytes).readBigUInt64LE(0)) : 0);
        }
      }
    }
    for (const { uid, hotkey } of stale) subnet.byUid.set(uid, { hotkey, block: values.get(uid) ?? 0 });
    if (full) subnet.fullReadAt = blockNumber;
  }
  return subnet.byUid;
}

/**
 * The metagraph at block `hash` through a raw state_call of NeuronInfoRuntimeApi_get_neurons_lite, decoded
 * with a reader compiled from the v15 metadata; undefined when the metadata does not describe that API
 * (then the decorated path applies).
 */
export async function metagraphFromStateCall(
  target: StateCallTarget,
  netuid: number,
  cache: MetagraphCache,
  knownBlockNumber?: number,
): Promise<{ neurons: Neuron[]; blockNumber: number } | undefined> {
  const tools = toolsFor(target.api);
  const method = tools.neuronsLite;
  const inputType = method?.inputs[0];
  if (!method || inputType === undefined || method.inputs.length !== 1) return undefined;
  let input = tools.inputs.get(netuid);
  if (input === undefined) {
    const registry = target.api.registry;
    // toU8a, not toHex: on integers toHex is the big-endian number, not its SCALE bytes.
    input = u8aToHex(registry.createTypeUnsafe(registry.createLookupType(inputType), [netuid]).toU8a());
    tools.inputs.set(netuid, input);
  }
  const [answer, header] = await Promise.all([
    target.send<string>('state_call', ['NeuronInfoRuntimeApi_get_neurons_lite', input, target.hash]),
    knownBlockNumber === undefined
      ? target.send<{ number: string } | null>('chain_getHeader', [target.hash])
      : Promise.resolve({ number: knownBlockNumber.toString(16) }),
  ]);
  if (!header) {
    throw new ChainError(ChainErrorCode.QueryFailed, `block ${target.hash} is unknown to the node`);
  }
  const blockNumber = Number.parseInt(header.number, 16);
  let neurons: Neuron[];
  try {
    const bytes = bytesOf(answer);
    neurons = tools.neuronsLiteDecoder
      ? tools.neuronsLiteDecoder.decode(bytes, cache.addresses)
      : decodeNeuronsLite(tools.decoder, method.output, bytes, cache.addresses);
  } catch (error) {
    if (error instanceof ChainError) throw error;
    throw new ChainError(
      ChainErrorCode.QueryFailed,
      `cannot decode get_neurons_lite: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const registrations = await refreshRegistrations(target, netuid, blockNumber, neurons, cache);
  for (const neuron of neurons) neuron.blockAtRegistration = registrations.get(neuron.uid)?.block ?? 0;
  return { neurons, blockNumber };
}
