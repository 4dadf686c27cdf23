import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalInfraError, LocalInfraErrorCode } from './errors';

/** A TCP port that was free on the host a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error(`could not read the address of a listening socket on ${host}`));
      });
    });
  });
}

/** True when nothing listens on host:port, so a server could bind it now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => {
      resolveFree(false);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => {
        resolveFree(true);
      });
    });
  });
}

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Names what is awaited in the timeout message. */
  description?: string;
  /** Stops waiting early; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Calls `check` until it returns true, waiting `intervalMs` between calls; a throw counts as "not yet".
 * Rejects with a Timeout LocalInfraError (carrying the last failure as its cause) after `timeoutMs`.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  options: WaitForOptions,
): Promise<void> {
  const { timeoutMs, intervalMs = 100, description = 'condition', signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new LocalInfraError(
        LocalInfraErrorCode.Timeout,
        `timed out after ${timeoutMs} ms waiting for ${description}${reason}`,
        { cause: lastError },
      );
    }
    try {
      await sleep(Math.min(intervalMs, remaining), undefined, signal ? { signal } : undefined);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }
}
