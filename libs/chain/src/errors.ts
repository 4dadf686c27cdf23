export enum ChainErrorCode {
  /** The options given to the lib cannot work (no endpoint, bad URL, bad key source). */
  InvalidOptions = 'chain_invalid_options',
  /** No endpoint answered within the connection budget. */
  ConnectionFailed = 'chain_connection_failed',
  /** The connection was used before it was ready, or after it was closed. */
  NotConnected = 'chain_not_connected',
  /** The subnet does not exist at the block read. */
  SubnetNotFound = 'chain_subnet_not_found',
  /** The chain lacks a storage item, call or runtime API this operation needs. */
  Unsupported = 'chain_unsupported',
  /** The subnet uses commit-reveal in a mode this lib cannot produce (drand timelock encryption). */
  CommitRevealModeUnsupported = 'chain_commit_reveal_mode_unsupported',
  /** Weights were rejected before submission (NaN, negative, too few, unknown hotkey, ...). */
  InvalidWeights = 'chain_invalid_weights',
  /** No stored commit matches what should be revealed. */
  CommitNotFound = 'chain_commit_not_found',
  /** The extrinsic was dispatched and failed with a module error of the runtime (see `moduleError`). */
  ModuleError = 'chain_module_error',
  /** The extrinsic was dispatched and failed with a non-module dispatch error (BadOrigin, token error, ...). */
  DispatchFailed = 'chain_dispatch_failed',
  /** The node refused the transaction before it entered a block (bad signature, stale nonce, priority). */
  TransactionRejected = 'chain_transaction_rejected',
  /** The extrinsic did not reach a block in time. */
  Timeout = 'chain_timeout',
  /** A hotkey could not be loaded. The message never contains the secret. */
  KeyLoadFailed = 'chain_key_load_failed',
  /** A query or runtime call failed. */
  QueryFailed = 'chain_query_failed',
}

/** A runtime module error, decoded from the chain's metadata. */
export interface ModuleErrorInfo {
  /** Pallet name, e.g. `SubtensorModule`. */
  section: string;
  /** Error variant, e.g. `SettingWeightsTooFast`. */
  name: string;
  /** The metadata's docs for the error, joined. */
  docs: string;
}

export interface ChainErrorOptions {
  cause?: unknown;
  moduleError?: ModuleErrorInfo;
  /** Hash of the block the failed extrinsic landed in, when it did. */
  blockHash?: string;
}

/** The error every function of this lib throws; the code says what went wrong, `moduleError` names the runtime error. */
export class ChainError extends Error {
  readonly moduleError?: ModuleErrorInfo;
  readonly blockHash?: string;

  constructor(
    readonly code: ChainErrorCode,
    message: string,
    options: ChainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChainError';
    if (options.moduleError) this.moduleError = options.moduleError;
    if (options.blockHash !== undefined) this.blockHash = options.blockHash;
  }

  /** The runtime error name (`SettingWeightsTooFast`, ...) when the chain rejected the call with one. */
  get moduleErrorName(): string | undefined {
    return this.moduleError?.name;
  }
}

/** True when an error is a ChainError, optionally with the given code. */
export function isChainError(error: unknown, code?: ChainErrorCode): error is ChainError {
  return error instanceof ChainError && (code === undefined || error.code === code);
}

/** True when an error is the runtime module error `name` (e.g. `SettingWeightsTooFast`). */
export function isModuleError(error: unknown, name: string): error is ChainError {
  return isChainError(error, ChainErrorCode.ModuleError) && error.moduleError?.name === name;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
