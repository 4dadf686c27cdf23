import { hexToU8a } from '@polkadot/util';
import { encodeAddress } from '@polkadot/util-crypto';
import type { Storage } from '../chain/storage';
import { ScaleReader, ScaleWriter } from '../runtime/scale';

const axonInfoBytes = 8 + 4 + 16 + 2 + 1 + 1 + 1 + 1;
const prometheusInfoBytes = 8 + 4 + 16 + 2 + 1;
const emptyAccount = new Uint8Array(32);

/** One subnet's per-uid vectors, decoded once for all neurons. */
interface SubnetVectors {
  active: boolean[];
  rank: number[];
  trust: number[];
  consensus: number[];
  incentive: number[];
  dividends: number[];
  emission: bigint[];
  validatorTrust: number[];
  pruningScores: number[];
  lastUpdate: bigint[];
  validatorPermit: boolean[];
}

function rawValue(storage: Storage, name: string, ...args: unknown[]): Uint8Array | undefined {
  const hex = storage.raw(storage.item('SubtensorModule', name), ...args);
  return hex === undefined ? undefined : hexToU8a(hex);
}

function vector<T>(storage: Storage, name: string, netuid: number, item: (reader: ScaleReader) => T): T[] {
  const raw = rawValue(storage, name, netuid);
  return raw ? new ScaleReader(raw).vec(item) : [];
}

function subnetVectors(storage: Storage, netuid: number): SubnetVectors {
  const u16 = (reader: ScaleReader) => reader.u16();
  const u64 = (reader: ScaleReader) => reader.u64();
  const bool = (reader: ScaleReader) => reader.bool();
  return {
    active: vector(storage, 'Active', netuid, bool),
    rank: vector(storage, 'Rank', netuid, u16),
    trust: vector(storage, 'Trust', netuid, u16),
    consensus: vector(storage, 'Consensus', netuid, u16),
    incentive: vector(storage, 'Incentive', netuid, u16),
    dividends: vector(storage, 'Dividends', netuid, u16),
    emission: vector(storage, 'Emission', netuid, u64),
    validatorTrust: vector(storage, 'ValidatorTrust', netuid, u16),
    pruningScores: vector(storage, 'PruningScores', netuid, u16),
    lastUpdate: vector(storage, 'LastUpdate', netuid, u64),
    validatorPermit: vector(storage, 'ValidatorPermit', netuid, bool),
  };
}

function pairs(raw: Uint8Array | undefined, writer: ScaleWriter): void {
  const entries = raw ? new ScaleReader(raw).vec((reader) => [reader.u16(), reader.u16()] as const) : [];
  const kept = entries.filter(([, value]) => value > 0);
  writer.compact(kept.length);
  for (const [uid, value] of kept) writer.compact(uid).compact(value);
}

/**
 * Writes one neuron in subtensor's NeuronInfoLite layout (rpc_info/neuron_info.rs), or NeuronInfo when
 * `full` (weights and bonds before the pruning score). Returns false when the uid has no hotkey.
 */
function writeNeuron(
  writer: ScaleWriter,
  storage: Storage,
  netuid: number,
  uid: number,
  vectors: SubnetVectors,
  full: boolean,
): boolean {
  const hotkeyRaw = rawValue(storage, 'Keys', netuid, uid);
  if (!hotkeyRaw) return false;
  const hotkey = encodeAddress(hotkeyRaw, 42);
  const coldkey = rawValue(storage, 'Owner', hotkey) ?? emptyAccount;
  const stakeRaw = rawValue(storage, 'TotalHotkeyAlpha', hotkey, netuid);
  const stake = stakeRaw ? new ScaleReader(stakeRaw).u64() : 0n;
  writer
    .bytes(hotkeyRaw)
    .bytes(coldkey)
    .compact(uid)
    .compact(netuid)
    .bool(vectors.active[uid] ?? false);
  writer.bytes(rawValue(storage, 'Axons', netuid, hotkey) ?? new Uint8Array(axonInfoBytes));
  writer.bytes(rawValue(storage, 'Prometheus', netuid, hotkey) ?? new Uint8Array(prometheusInfoBytes));
  writer.compact(1).bytes(coldkey).compact(stake);
  writer
    .compact(vectors.rank[uid] ?? 0)
    .compact(vectors.emission[uid] ?? 0n)
    .compact(vectors.incentive[uid] ?? 0)
    .compact(vectors.consensus[uid] ?? 0)
    .compact(vectors.trust[uid] ?? 0)
    .compact(vectors.validatorTrust[uid] ?? 0)
    .compact(vectors.dividends[uid] ?? 0)
    .compact(vectors.lastUpdate[uid] ?? 0n)
    .bool(vectors.validatorPermit[uid] ?? false);
  if (full) {
    pairs(rawValue(storage, 'Weights', netuid, uid), writer);
    pairs(rawValue(storage, 'Bonds', netuid, uid), writer);
  }
  writer.compact(vectors.pruningScores[uid] ?? 0);
  return true;
}

function subnetSize(storage: Storage, netuid: number): number {
  const added = rawValue(storage, 'NetworksAdded', netuid);
  if (!added || added[0] !== 1) return 0;
  const n = rawValue(storage, 'SubnetworkN', netuid);
  return n ? new ScaleReader(n).u16() : 0;
}

/** NeuronInfoRuntimeApi.get_neurons_lite / get_neurons: every neuron of a subnet (empty when it does not exist). */
export function encodeNeurons(storage: Storage, netuid: number, full: boolean): Uint8Array {
  const n = subnetSize(storage, netuid);
  const vectors = subnetVectors(storage, netuid);
  const body = new ScaleWriter();
  let count = 0;
  for (let uid = 0; uid < n; uid++) {
    if (!writeNeuron(body, storage, netuid, uid, vectors, full)) break;
    count++;
  }
  return new ScaleWriter().compact(count).bytes(body.finish()).finish();
}

/** NeuronInfoRuntimeApi.get_neuron_lite / get_neuron: Option of one neuron. */
export function encodeNeuron(storage: Storage, netuid: number, uid: number, full: boolean): Uint8Array {
  const writer = new ScaleWriter();
  if (uid >= subnetSize(storage, netuid)) return writer.u8(0).finish();
  const body = new ScaleWriter();
  if (!writeNeuron(body, storage, netuid, uid, subnetVectors(storage, netuid), full)) {
    return writer.u8(0).finish();
  }
  return writer.u8(1).bytes(body.finish()).finish();
}
