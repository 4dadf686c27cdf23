import { SidecarApiErrorCode } from '@vstack/sidecar-client';

export { SidecarApiErrorCode as SidecarErrorCode };

const statusOf: Record<SidecarApiErrorCode, number> = {
  [SidecarApiErrorCode.Unauthorized]: 401,
  [SidecarApiErrorCode.Forbidden]: 403,
  [SidecarApiErrorCode.IdentityNotFound]: 404,
  [SidecarApiErrorCode.SubnetNotFound]: 404,
  [SidecarApiErrorCode.BlockNotFound]: 404,
  [SidecarApiErrorCode.InvalidRequest]: 400,
  [SidecarApiErrorCode.InvalidWeights]: 400,
  [SidecarApiErrorCode.InvalidTimeout]: 400,
  [SidecarApiErrorCode.CacheStale]: 503,
  [SidecarApiErrorCode.ChainUnavailable]: 503,
  [SidecarApiErrorCode.Timeout]: 504,
};

/** An error of the sidecar's API with its code and HTTP status (the exception filter renders both). */
export class SidecarError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: SidecarApiErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SidecarError';
    this.httpStatus = statusOf[code];
  }
}
