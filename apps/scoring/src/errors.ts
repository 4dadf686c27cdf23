/** Why the scoring API refused a request. Sent to clients as the `code` of the error body: never rename. */
export enum ScoringApiErrorCode {
  /** No score or record exists for the uid. */
  MinerNotFound = 'scoring_miner_not_found',
}

const httpStatusOf: Readonly<Record<ScoringApiErrorCode, number>> = {
  [ScoringApiErrorCode.MinerNotFound]: 404,
};

/** The error the scoring API throws; the runtime's filter maps `code` and `httpStatus` to the answer. */
export class ScoringApiError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: ScoringApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ScoringApiError';
    this.httpStatus = httpStatusOf[code];
  }
}
