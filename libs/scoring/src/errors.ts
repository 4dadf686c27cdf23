/** What went wrong in the scoring model. */
export enum ScoringErrorCode {
  /** Options that cannot work (weights that do not add up to anything, a floor above the timeout, ...). */
  InvalidOptions = 'scoring_invalid_options',
  /** An input outside its domain (an accuracy above 1, a NaN latency, a uid listed twice, ...). */
  InvalidInput = 'scoring_invalid_input',
}

/** The error every function of this lib throws; pure functions throw only for inputs that are bugs upstream. */
export class ScoringError extends Error {
  constructor(
    readonly code: ScoringErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ScoringError';
  }
}

/** True when an error is a ScoringError, optionally with the given code. */
export function isScoringError(error: unknown, code?: ScoringErrorCode): error is ScoringError {
  return error instanceof ScoringError && (code === undefined || error.code === code);
}

/** A ScoringError with code `InvalidOptions`. */
export function invalidOptions(message: string): ScoringError {
  return new ScoringError(ScoringErrorCode.InvalidOptions, message);
}

/** A ScoringError with code `InvalidInput`. */
export function invalidInput(message: string): ScoringError {
  return new ScoringError(ScoringErrorCode.InvalidInput, message);
}

/** Throws unless `value` is a finite number in [min, max]. */
export function assertInRange(
  value: number,
  min: number,
  max: number,
  what: string,
  fail: (message: string) => ScoringError = invalidInput,
): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw fail(`${what} must be a number in [${min}, ${max}], got ${String(value)}`);
  }
}
