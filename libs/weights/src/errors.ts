/** What went wrong in the weight conversion. */
export enum WeightsErrorCode {
  /** Weights the chain would refuse: NaN, negative, a bad or repeated uid, too few, over the max weight limit. */
  InvalidWeights = 'weights_invalid',
}

/** The error every function of this lib throws. */
export class WeightsError extends Error {
  constructor(
    readonly code: WeightsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WeightsError';
  }
}

/** True when an error is a WeightsError. */
export function isWeightsError(error: unknown): error is WeightsError {
  return error instanceof WeightsError;
}
