/** Why the proxy refused or failed a request, beyond the Epistula checks; each code is part of the HTTP contract. */
export enum MinerProxyErrorCode {
  MetagraphUnavailable = 'metagraph_unavailable',
  MetagraphStale = 'metagraph_stale',
  BodyTooLarge = 'body_too_large',
  RateLimited = 'rate_limited',
  UpstreamUnavailable = 'upstream_unavailable',
  UpstreamTimeout = 'upstream_timeout',
  HotkeyMissing = 'hotkey_missing',
}

const statusOf: Record<MinerProxyErrorCode, number> = {
  [MinerProxyErrorCode.MetagraphUnavailable]: 503,
  [MinerProxyErrorCode.MetagraphStale]: 503,
  [MinerProxyErrorCode.BodyTooLarge]: 413,
  [MinerProxyErrorCode.RateLimited]: 429,
  [MinerProxyErrorCode.UpstreamUnavailable]: 502,
  [MinerProxyErrorCode.UpstreamTimeout]: 504,
  [MinerProxyErrorCode.HotkeyMissing]: 500,
};

/** An error of the proxy with its code and HTTP status. */
export class MinerProxyError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: MinerProxyErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'MinerProxyError';
    this.httpStatus = statusOf[code];
  }
}
