import { MAX_TIMEOUT_MS, TIMEOUT_HEADER } from '@vstack/sidecar-client';
import { SidecarError, SidecarErrorCode } from '../errors';

/** The timeout a request asks for in `x-timeout-ms` (1 to 300000 ms), or the default; 400 `invalid_timeout` otherwise. */
export function requestTimeoutMs(header: string | string[] | undefined, defaultMs: number): number {
  if (header === undefined) return defaultMs;
  const value = Array.isArray(header) ? undefined : header.trim();
  const ms = value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw new SidecarError(
      SidecarErrorCode.InvalidTimeout,
      `${TIMEOUT_HEADER} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
  return ms;
}

/**
 * `work` bounded by what is left of the request's timeout (counted from its arrival, `elapsedMs` ago): past it,
 * 504 `timeout`. The work goes on (a chain read still fills the cache).
 */
export async function withinTimeout<T>(work: Promise<T>, timeoutMs: number, elapsedMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        reject(
          new SidecarError(SidecarErrorCode.Timeout, `no answer within ${timeoutMs} ms (${TIMEOUT_HEADER})`),
        );
      },
      Math.max(0, timeoutMs - elapsedMs),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
