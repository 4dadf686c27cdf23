import { xxhashAsHex } from '@polkadot/util-crypto';
import {
  ChainErrorCode,
  errorMessage,
  type Hyperparameters,
  isChainError,
  isDiscardedStateError,
  type SubtensorClient,
} from '@vstack/chain';
import type { Hyperparameters as WireHyperparameters } from '@vstack/contracts';
import type { ChainMetrics } from '../chain/chain-metrics';
import { SidecarError, SidecarErrorCode } from '../errors';
import { type NeuronsSnapshot, snapshotOf } from './snapshot';

/** What the metagraph cache needs of the chain (an interface, so the cache is tested without a node). */
export interface MetagraphChain {
  /** True while the chain connection is up. */
  isReady(): boolean;
  /**
   * The subnet's neurons at a block (hash or number), or at the best block. Throws SidecarError: subnet or block
   * not found, chain away.
   */
  neurons(netuid: number, at: string | number | undefined): Promise<NeuronsSnapshot>;
  /** The subnet's hyperparameters at a block, or at the best block. */
  hyperparameters(netuid: number, at?: string | number): Promise<WireHyperparameters>;
  /** The block's timestamp (unix ms). */
  timestamp(hash: string): Promise<number>;
}

/** Timestamp::Now: twox128("Timestamp") ++ twox128("Now"). */
const TIMESTAMP_NOW_KEY = xxhashAsHex('Timestamp', 128) + xxhashAsHex('Now', 128).slice(2);

/** The chain's hyperparameters in the RPC contract's shape. */
export function wireHyperparameters(hp: Hyperparameters): WireHyperparameters {
  return {
    netuid: hp.netuid,
    block: hp.block,
    tempo: hp.tempo,
    weightsRateLimit: hp.weightsRateLimit,
    weightsVersion: Number(hp.weightsVersionKey),
    commitRevealEnabled: hp.commitRevealEnabled,
    commitRevealPeriod: hp.revealPeriodEpochs ?? 1,
    minAllowedWeights: hp.minAllowedWeights,
    maxWeightsLimit: hp.maxWeightsLimit,
    immunityPeriod: hp.immunityPeriod ?? 0,
    activityCutoff: hp.activityCutoff ?? 0,
    maxValidators: hp.maxAllowedValidators ?? 0,
    servingRateLimit: hp.servingRateLimit ?? 0,
    registrationAllowed: hp.registrationAllowed ?? true,
  };
}

/** A chain failure in the API's words: unknown subnet or block (404), or the chain cannot answer (503). */
export function sidecarErrorOf(
  error: unknown,
  netuid: number,
  at: string | number | undefined,
): SidecarError {
  if (error instanceof SidecarError) return error;
  const where = at === undefined ? 'the best block' : `block ${at}`;
  if (isChainError(error, ChainErrorCode.SubnetNotFound)) {
    const when = typeof at === 'number' ? ` at block ${at}` : '';
    return new SidecarError(SidecarErrorCode.SubnetNotFound, `subnet ${netuid} does not exist${when}`, {
      cause: error,
    });
  }
  const message = errorMessage(error);
  if (
    isChainError(error, ChainErrorCode.QueryFailed) &&
    /does not exist yet|has no block|unknown to the node/.test(message)
  ) {
    return new SidecarError(SidecarErrorCode.BlockNotFound, `${where} does not exist`, { cause: error });
  }
  if (isDiscardedStateError(error)) {
    return new SidecarError(
      SidecarErrorCode.BlockNotFound,
      `the chain node no longer holds the state of ${where} and no archive node answered for it`,
      { cause: error },
    );
  }
  if (/Header was not found|Unable to retrieve header/i.test(message)) {
    return new SidecarError(SidecarErrorCode.BlockNotFound, `${where} is unknown to the chain node`, {
      cause: error,
    });
  }
  return new SidecarError(SidecarErrorCode.ChainUnavailable, `the chain could not be read: ${message}`, {
    cause: error,
  });
}

/** MetagraphChain over the sidecar's SubtensorClient, timing each operation. */
export class SubtensorMetagraphChain implements MetagraphChain {
  constructor(
    private readonly client: Pick<SubtensorClient, 'metagraph' | 'hyperparameters'>,
    private readonly connection: {
      readonly isReady: boolean;
      send<T>(method: string, params: unknown[]): Promise<T>;
    },
    private readonly metrics: Pick<ChainMetrics, 'time'>,
  ) {}

  isReady(): boolean {
    return this.connection.isReady;
  }

  #assertReady(): void {
    // Reads would otherwise wait for the reconnect; callers want the cached answer or a clear 503 now.
    if (!this.connection.isReady) {
      throw new SidecarError(SidecarErrorCode.ChainUnavailable, 'the chain node is not connected');
    }
  }

  async neurons(netuid: number, at: string | number | undefined): Promise<NeuronsSnapshot> {
    this.#assertReady();
    try {
      const metagraph = await this.metrics.time('metagraph', () => this.client.metagraph(netuid, at));
      // An unknown subnet reads as no neurons: tell the two apart (hyperparameters throw SubnetNotFound).
      if (metagraph.neurons.length === 0) await this.hyperparameters(netuid, at);
      return snapshotOf(metagraph);
    } catch (error) {
      throw sidecarErrorOf(error, netuid, at);
    }
  }

  async hyperparameters(netuid: number, at?: string | number): Promise<WireHyperparameters> {
    this.#assertReady();
    try {
      return wireHyperparameters(
        await this.metrics.time('hyperparameters', () => this.client.hyperparameters(netuid, at)),
      );
    } catch (error) {
      throw sidecarErrorOf(error, netuid, at);
    }
  }

  async timestamp(hash: string): Promise<number> {
    this.#assertReady();
    const value = await this.metrics.time('head', () =>
      this.connection.send<string | null>('state_getStorage', [TIMESTAMP_NOW_KEY, hash]),
    );
    if (!value) return 0;
    return Number(Buffer.from(value.slice(2), 'hex').readBigUInt64LE(0));
  }
}
