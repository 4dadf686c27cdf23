/** What went wrong in managing; each code is part of its HTTP and RPC answers. */
export enum ManagingErrorCode {
  /** The miner registry has not been filled from the sidecar's metagraph yet. */
  MetagraphUnavailable = 'metagraph_unavailable',
  /** Redis, which holds the quota counters, did not answer. */
  QuotaStoreUnavailable = 'quota_store_unavailable',
}

const statusOf: Record<ManagingErrorCode, number> = {
  [ManagingErrorCode.MetagraphUnavailable]: 503,
  [ManagingErrorCode.QuotaStoreUnavailable]: 503,
};

/** An error of managing with its code and HTTP status. */
export class ManagingError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: ManagingErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ManagingError';
    this.httpStatus = statusOf[code];
  }
}
