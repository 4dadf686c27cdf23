/** What went wrong in the validator; each code names a kind of problem an operator can act on. */
export enum ValidatorErrorCode {
  /** Neither VALIDATOR_HOTKEY nor VALIDATOR_WALLET_NAME is set: nothing to sign requests with. */
  HotkeyMissing = 'validator_hotkey_missing',
  /** managing returned no miner for a task (no quota left, none serving, not synced yet). */
  NoMiners = 'validator_no_miners',
  /** The validator is stopping and gave a task in hand back to the queue. */
  TaskReleased = 'validator_task_released',
  /** scoring did not give the weight vector of an epoch. */
  WeightsUnavailable = 'validator_weights_unavailable',
}

const statusOf: Record<ValidatorErrorCode, number> = {
  [ValidatorErrorCode.HotkeyMissing]: 500,
  [ValidatorErrorCode.NoMiners]: 503,
  [ValidatorErrorCode.TaskReleased]: 503,
  [ValidatorErrorCode.WeightsUnavailable]: 503,
};

/** The validator's own error, with its code and the HTTP status the runtime's filter answers with. */
export class ValidatorError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: ValidatorErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ValidatorError';
    this.httpStatus = statusOf[code];
  }
}

/** True when an error is a ValidatorError, optionally with the given code. */
export function isValidatorError(error: unknown, code?: ValidatorErrorCode): error is ValidatorError {
  return error instanceof ValidatorError && (code === undefined || error.code === code);
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
