import type { Metagraph } from '@vstack/chain';
import type { Neuron as WireNeuron } from '@vstack/contracts';
import type { ApiNeuron, NeuronsResponse, ValidatorsResponse } from '@vstack/sidecar-client';

/**
 * A subnet's neurons at one block, as the cache keeps them (in Redis and in memory). The neurons are the RPC
 * contract's shape (amounts in rao as decimal strings), so RPC answers need no conversion and the REST shapes
 * are derived without losing precision.
 */
export interface NeuronsSnapshot {
  netuid: number;
  block: number;
  hash: string;
  neurons: WireNeuron[];
}

/** A snapshot with its REST answers serialized once, ready to send as they are. */
export interface SnapshotView {
  snapshot: NeuronsSnapshot;
  /** `GET .../neurons` body. */
  neuronsBody: Buffer;
  /** `GET .../validators` body. */
  validatorsBody: Buffer;
  /** The neurons as JSON: what "the metagraph changed" compares. */
  neuronsJson: string;
}

const RAO_PER_TAO = 1_000_000_000n;

/** rao (a decimal string) to TAO as a number, splitting whole and fraction so large amounts keep their digits. */
export function raoToTao(rao: string): number {
  const amount = BigInt(rao);
  return Number(amount / RAO_PER_TAO) + Number(amount % RAO_PER_TAO) / 1e9;
}

/** A metagraph read from the chain as a snapshot. */
export function snapshotOf(metagraph: Metagraph): NeuronsSnapshot {
  return {
    netuid: metagraph.netuid,
    block: metagraph.block,
    hash: metagraph.blockHash,
    neurons: metagraph.neurons.map((neuron) => ({
      uid: neuron.uid,
      hotkey: neuron.hotkey,
      coldkey: neuron.coldkey,
      active: neuron.active,
      axon: { ip: neuron.axon.ip, port: neuron.axon.port, protocol: neuron.axon.protocol },
      stake: neuron.stake.toString(),
      validatorPermit: neuron.validatorPermit,
      incentive: neuron.incentive,
      consensus: neuron.consensus,
      dividends: neuron.dividends,
      emission: neuron.emission.toString(),
      validatorTrust: neuron.validatorTrust,
      lastUpdate: neuron.lastUpdate,
      blockAtRegistration: neuron.blockAtRegistration,
    })),
  };
}

/** One neuron as the REST API shows it (Pylon's shape): TAO amounts, snake_case, the exact stake in rao. */
export function apiNeuron(neuron: WireNeuron): ApiNeuron {
  return {
    uid: neuron.uid,
    coldkey: neuron.coldkey,
    hotkey: neuron.hotkey,
    active: neuron.active,
    axon_info: { ip: neuron.axon.ip, port: neuron.axon.port, protocol: neuron.axon.protocol },
    stake: raoToTao(neuron.stake),
    stake_rao: neuron.stake,
    emission: raoToTao(neuron.emission),
    incentive: neuron.incentive,
    consensus: neuron.consensus,
    validator_trust: neuron.validatorTrust,
    dividends: neuron.dividends,
    last_update: neuron.lastUpdate,
    validator_permit: neuron.validatorPermit,
    block_at_registration: neuron.blockAtRegistration,
  };
}

/** Validator permit holders, largest stake first (equal stakes by uid). */
export function validatorsOf(neurons: readonly WireNeuron[]): WireNeuron[] {
  return neurons
    .filter((neuron) => neuron.validatorPermit)
    .map((neuron) => ({ neuron, stake: BigInt(neuron.stake) }))
    .sort((a, b) => (a.stake === b.stake ? a.neuron.uid - b.neuron.uid : a.stake > b.stake ? -1 : 1))
    .map(({ neuron }) => neuron);
}

/** The REST answer of `.../neurons`: neurons by hotkey, in uid order. */
export function neuronsResponse(snapshot: NeuronsSnapshot): NeuronsResponse {
  const neurons: Record<string, ApiNeuron> = {};
  for (const neuron of [...snapshot.neurons].sort((a, b) => a.uid - b.uid)) {
    neurons[neuron.hotkey] = apiNeuron(neuron);
  }
  return { block: { number: snapshot.block, hash: snapshot.hash }, neurons };
}

/** The REST answer of `.../validators`. */
export function validatorsResponse(snapshot: NeuronsSnapshot): ValidatorsResponse {
  return {
    block: { number: snapshot.block, hash: snapshot.hash },
    validators: validatorsOf(snapshot.neurons).map(apiNeuron),
  };
}

/** Serializes a snapshot's answers once. */
export function viewOf(
  snapshot: NeuronsSnapshot,
  neuronsJson = JSON.stringify(snapshot.neurons),
): SnapshotView {
  return {
    snapshot,
    neuronsBody: Buffer.from(JSON.stringify(neuronsResponse(snapshot))),
    validatorsBody: Buffer.from(JSON.stringify(validatorsResponse(snapshot))),
    neuronsJson,
  };
}

/** A snapshot as stored: its fields with the neurons' JSON spliced in, so the neurons are serialized once. */
export function serializeSnapshot(snapshot: NeuronsSnapshot, neuronsJson: string): string {
  return `{"netuid":${snapshot.netuid},"block":${snapshot.block},"hash":${JSON.stringify(snapshot.hash)},"neurons":${neuronsJson}}`;
}
