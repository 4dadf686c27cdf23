import type { ApiDecoration } from '@polkadot/api/types';
import type { Codec } from '@polkadot/types/types';
import { findQuery, type StorageQuery } from './access';
import { ChainError, ChainErrorCode } from './errors';

/** A subnet's hyperparameters, read from SubtensorModule storage by their metadata names. */
export interface Hyperparameters {
  netuid: number;
  block: number;
  blockHash: string;
  /** Tempo: blocks between epochs (0 = the subnet never runs one). */
  tempo: number;
  /** WeightsSetRateLimit: blocks a neuron waits between set_weights (or commits). */
  weightsRateLimit: number;
  /** CommitRevealWeightsEnabled. */
  commitRevealEnabled: boolean;
  /** RevealPeriodEpochs: a commit is revealed that many epochs later; undefined on chains without it. */
  revealPeriodEpochs: number | undefined;
  /** The global CommitRevealWeightsVersion (3+: timelocked commits); undefined on chains without it. */
  commitRevealVersion: number | undefined;
  /** WeightsVersionKey: set_weights needs a version_key at least this large (0 = any). */
  weightsVersionKey: bigint;
  minAllowedWeights: number;
  /** MaxWeightsLimit as the u16 the chain stores; no normalised weight may exceed it / 65535. */
  maxWeightsLimit: number;
  maxAllowedUids: number;
  /** SubnetworkN: neurons registered now. */
  subnetworkN: number;
  maxAllowedValidators: number | undefined;
  immunityPeriod: number | undefined;
  activityCutoff: number | undefined;
  servingRateLimit: number | undefined;
  registrationAllowed: boolean | undefined;
  /** Burn: the current burned-registration cost in rao. */
  burn: bigint | undefined;
  difficulty: bigint | undefined;
  kappa: number | undefined;
  rho: number | undefined;
  bondsMovingAverage: bigint | undefined;
  adjustmentInterval: number | undefined;
  targetRegistrationsPerInterval: number | undefined;
}

type Kind = 'number' | 'bigint' | 'boolean';
type Item = readonly [storageName: string, kind: Kind, required: boolean];

/** Field → (storage item in camelCase as @polkadot/api names it, decoded kind, required). */
const SUBNET_ITEMS = {
  tempo: ['tempo', 'number', true],
  weightsRateLimit: ['weightsSetRateLimit', 'number', true],
  commitRevealEnabled: ['commitRevealWeightsEnabled', 'boolean', false],
  revealPeriodEpochs: ['revealPeriodEpochs', 'number', false],
  weightsVersionKey: ['weightsVersionKey', 'bigint', true],
  minAllowedWeights: ['minAllowedWeights', 'number', true],
  maxWeightsLimit: ['maxWeightsLimit', 'number', false],
  maxAllowedUids: ['maxAllowedUids', 'number', true],
  subnetworkN: ['subnetworkN', 'number', true],
  maxAllowedValidators: ['maxAllowedValidators', 'number', false],
  immunityPeriod: ['immunityPeriod', 'number', false],
  activityCutoff: ['activityCutoff', 'number', false],
  servingRateLimit: ['servingRateLimit', 'number', false],
  registrationAllowed: ['networkRegistrationAllowed', 'boolean', false],
  burn: ['burn', 'bigint', false],
  difficulty: ['difficulty', 'bigint', false],
  kappa: ['kappa', 'number', false],
  rho: ['rho', 'number', false],
  bondsMovingAverage: ['bondsMovingAverage', 'bigint', false],
  adjustmentInterval: ['adjustmentInterval', 'number', false],
  targetRegistrationsPerInterval: ['targetRegistrationsPerInterval', 'number', false],
} as const satisfies Record<string, Item>;

type QueryFn = StorageQuery;

function decode(codec: Codec, kind: Kind): number | bigint | boolean {
  const value = codec as Codec & { toBigInt?: () => bigint; isTrue?: boolean };
  switch (kind) {
    case 'boolean':
      return value.isTrue === true;
    case 'bigint':
      return value.toBigInt ? value.toBigInt() : BigInt(value.toString());
    case 'number':
      return Number(value.toBigInt ? value.toBigInt() : value.toString());
  }
}

function queryOf(api: ApiDecoration<'promise'>, name: string): QueryFn | undefined {
  return findQuery(api, name);
}

/** True when subnet `netuid` exists at this block (NetworksAdded). */
export async function subnetExists(api: ApiDecoration<'promise'>, netuid: number): Promise<boolean> {
  const added = queryOf(api, 'networksAdded');
  if (!added) return true;
  return decode(await added(netuid), 'boolean') as boolean;
}

/** Reads a subnet's hyperparameters at the block `api` is decorated for, in one storage round trip. */
export async function readHyperparameters(
  api: ApiDecoration<'promise'>,
  netuid: number,
  block: { number: number; hash: string },
): Promise<Hyperparameters> {
  const fields = Object.entries(SUBNET_ITEMS) as [keyof typeof SUBNET_ITEMS, Item][];
  const present: { field: string; kind: Kind; query: QueryFn }[] = [];
  for (const [field, [name, kind, required]] of fields) {
    const query = queryOf(api, name);
    if (query) present.push({ field, kind, query });
    else if (required) {
      throw new ChainError(
        ChainErrorCode.Unsupported,
        `the chain has no SubtensorModule storage item for ${field}`,
      );
    }
  }
  const versionQuery = queryOf(api, 'commitRevealWeightsVersion');
  const addedQuery = queryOf(api, 'networksAdded');
  const calls: [QueryFn, ...unknown[]][] = present.map(({ query }) => [query, netuid]);
  if (addedQuery) calls.push([addedQuery, netuid]);
  if (versionQuery) calls.push([versionQuery]);
  const values = await api.queryMulti(calls as never);
  if (addedQuery && !decode(values[present.length] as Codec, 'boolean')) {
    throw new ChainError(
      ChainErrorCode.SubnetNotFound,
      `subnet ${netuid} does not exist at block ${block.number}`,
    );
  }
  const decoded: Record<string, number | bigint | boolean | undefined> = {};
  present.forEach(({ field, kind }, index) => {
    decoded[field] = decode(values[index] as Codec, kind);
  });
  const last = values[values.length - 1];
  return {
    netuid,
    block: block.number,
    blockHash: block.hash,
    tempo: decoded.tempo as number,
    weightsRateLimit: decoded.weightsRateLimit as number,
    commitRevealEnabled: (decoded.commitRevealEnabled as boolean | undefined) ?? false,
    revealPeriodEpochs: decoded.revealPeriodEpochs as number | undefined,
    commitRevealVersion: versionQuery && last ? (decode(last, 'number') as number) : undefined,
    weightsVersionKey: decoded.weightsVersionKey as bigint,
    minAllowedWeights: decoded.minAllowedWeights as number,
    maxWeightsLimit: (decoded.maxWeightsLimit as number | undefined) ?? 65_535,
    maxAllowedUids: decoded.maxAllowedUids as number,
    subnetworkN: decoded.subnetworkN as number,
    maxAllowedValidators: decoded.maxAllowedValidators as number | undefined,
    immunityPeriod: decoded.immunityPeriod as number | undefined,
    activityCutoff: decoded.activityCutoff as number | undefined,
    servingRateLimit: decoded.servingRateLimit as number | undefined,
    registrationAllowed: decoded.registrationAllowed as boolean | undefined,
    burn: decoded.burn as bigint | undefined,
    difficulty: decoded.difficulty as bigint | undefined,
    kappa: decoded.kappa as number | undefined,
    rho: decoded.rho as number | undefined,
    bondsMovingAverage: decoded.bondsMovingAverage as bigint | undefined,
    adjustmentInterval: decoded.adjustmentInterval as number | undefined,
    targetRegistrationsPerInterval: decoded.targetRegistrationsPerInterval as number | undefined,
  };
}
