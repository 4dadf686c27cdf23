import type { ApiPromise, SubmittableResult } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { DispatchError } from '@polkadot/types/interfaces';
import { ChainError, ChainErrorCode, errorMessage, type ModuleErrorInfo } from './errors';
import type { ChainLogger } from './logger';
import type { NonceManager } from './nonce';

/** One event the extrinsic emitted, e.g. `subtensorModule.WeightsSet`. */
export interface ChainEvent {
  section: string;
  method: string;
  /** The event's fields as JSON (numbers, strings, ss58 as hex account ids). */
  data: unknown[];
}

/** What a successful extrinsic gives back. */
export interface ExtrinsicResult {
  txHash: string;
  blockHash: string;
  blockNumber: number;
  events: ChainEvent[];
}

export interface SubmitOptions {
  /** How long to wait for the block, submission included. */
  timeoutMs: number;
  /** `inBlock` (default) resolves when the extrinsic is in a block; `finalized` waits for finality. */
  waitFor?: 'inBlock' | 'finalized';
  tip?: bigint;
}

/** Decodes a dispatch error with the chain's metadata: a module error by pallet and name, or the variant. */
export function decodeDispatchError(api: ApiPromise, error: DispatchError, blockHash?: string): ChainError {
  const where = blockHash === undefined ? {} : { blockHash };
  if (error.isModule) {
    try {
      const meta = api.registry.findMetaError(error.asModule);
      const moduleError: ModuleErrorInfo = {
        section: meta.section,
        name: meta.name,
        docs: meta.docs.join(' '),
      };
      return new ChainError(
        ChainErrorCode.ModuleError,
        `${meta.section}.${meta.name}${moduleError.docs ? `: ${moduleError.docs}` : ''}`,
        { ...where, moduleError },
      );
    } catch (cause) {
      return new ChainError(ChainErrorCode.ModuleError, `unknown module error ${error.asModule.toString()}`, {
        ...where,
        cause,
      });
    }
  }
  return new ChainError(
    ChainErrorCode.DispatchFailed,
    `dispatch failed: ${error.type} ${JSON.stringify(error.toJSON())}`,
    where,
  );
}

function eventsOf(result: SubmittableResult): ChainEvent[] {
  return result.events.map(({ event }) => ({
    section: event.section,
    method: event.method,
    data: event.data.map((field) => field.toJSON()),
  }));
}

/**
 * Signs `tx` with the next nonce of `signer`, submits it and waits for its block. Resolves with the
 * block and events; rejects with a ChainError: ModuleError (decoded), TransactionRejected, or Timeout.
 */
export async function submitExtrinsic(
  api: ApiPromise,
  tx: SubmittableExtrinsic<'promise'>,
  signer: KeyringPair,
  nonces: NonceManager,
  options: SubmitOptions,
  logger?: ChainLogger,
): Promise<ExtrinsicResult> {
  const label = `${tx.method.section}.${tx.method.method}`;
  const waitFor = options.waitFor ?? 'inBlock';
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settle: { resolve: (result: ExtrinsicResult) => void; reject: (error: ChainError) => void } | undefined;
  let finished = false;
  const outcome = new Promise<ExtrinsicResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A late status (after a timeout) must not surface as an unhandled rejection.
  outcome.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      nonces.reset(signer.address);
      reject(
        new ChainError(ChainErrorCode.Timeout, `${label} was not in a block within ${options.timeoutMs} ms`),
      );
    }, options.timeoutMs);
  });
  const onStatus = (result: SubmittableResult): void => {
    const { status } = result;
    if (status.isInBlock || status.isFinalized) {
      if (waitFor === 'finalized' && !status.isFinalized && !result.dispatchError) return;
      const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
      if (result.dispatchError) {
        settle?.reject(decodeDispatchError(api, result.dispatchError, blockHash));
        return;
      }
      settle?.resolve({
        txHash: result.txHash.toHex(),
        blockHash,
        blockNumber: result.blockNumber?.toNumber() ?? 0,
        events: eventsOf(result),
      });
      return;
    }
    if (status.isInvalid || status.isDropped || status.isUsurped || status.isFinalityTimeout) {
      nonces.reset(signer.address);
      settle?.reject(
        new ChainError(
          ChainErrorCode.TransactionRejected,
          `${label} was ${status.type.toLowerCase()} by the node`,
        ),
      );
    }
  };
  try {
    await Promise.race([
      nonces.withNonce(signer.address, async (nonce) => {
        await tx.signAsync(signer, { nonce, ...(options.tip === undefined ? {} : { tip: options.tip }) });
        try {
          unsubscribe = await tx.send(onStatus);
          if (finished) unsubscribe();
        } catch (error) {
          throw new ChainError(
            ChainErrorCode.TransactionRejected,
            `the node refused ${label}: ${errorMessage(error)}`,
            {
              cause: error,
            },
          );
        }
        logger?.debug({ call: label, nonce, txHash: tx.hash.toHex() }, 'extrinsic submitted');
      }),
      timeout,
    ]);
    return await Promise.race([outcome, timeout]);
  } finally {
    finished = true;
    clearTimeout(timer);
    unsubscribe?.();
  }
}
