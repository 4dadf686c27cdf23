export enum DevnetErrorCode {
  /** Subtensor's metadata is neither in the cache nor fetchable from the registry package. */
  MetadataUnavailable = 'devnet_metadata_unavailable',
  /** A scenario (file or dev_applyScenario) does not match the schema or names keys that cannot be resolved. */
  InvalidScenario = 'devnet_invalid_scenario',
  /** Node options out of range (e.g. statePruning below 1). */
  InvalidOptions = 'devnet_invalid_options',
  /** The node was used after close(). */
  Closed = 'devnet_closed',
}

/** The error every function of this lib throws outside the JSON-RPC surface; the code says what went wrong. */
export class DevnetError extends Error {
  constructor(
    readonly code: DevnetErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevnetError';
  }
}

/** True when an error is a DevnetError, optionally with the given code. */
export function isDevnetError(error: unknown, code?: DevnetErrorCode): error is DevnetError {
  return error instanceof DevnetError && (code === undefined || error.code === code);
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
