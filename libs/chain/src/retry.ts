import { setTimeout as sleepFor } from 'node:timers/promises';
import { ChainError, ChainErrorCode, errorMessage } from './errors';

/** Exponential backoff between rounds of connection attempts. */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Fraction of the delay drawn at random (0 = none), so many clients do not retry in lockstep. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

/** The delay before retry round `round` (0-based): initial · factor^round, capped, minus up to `jitter` of it. */
export function backoffDelay(
  round: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, round));
  return Math.round(base * (1 - options.jitter * random()));
}

export interface RetryOptions {
  /** How many endpoints one round tries back to back before waiting. */
  endpointCount: number;
  /** One connection attempt; resolves once connected. */
  attempt: () => Promise<void>;
  backoff: BackoffOptions;
  /** Give up after this many milliseconds (forever when absent). */
  timeoutMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Told about every failed attempt, with the wait that follows it (0 within a round). */
  onFailure?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `attempt` until it succeeds: each endpoint once per round, then an exponential pause. Resolves
 * with the number of attempts made; rejects with ConnectionFailed once `timeoutMs` is spent or on abort.
 */
export async function retryWithBackoff(options: RetryOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + options.timeoutMs;
  const perRound = Math.max(1, options.endpointCount);
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) {
      throw new ChainError(ChainErrorCode.ConnectionFailed, 'connecting was cancelled', {
        cause: lastError,
      });
    }
    try {
      await options.attempt();
      return attempt;
    } catch (error) {
      lastError = error;
    }
    const endOfRound = attempt % perRound === 0;
    const delay = endOfRound ? backoffDelay(attempt / perRound - 1, options.backoff, options.random) : 0;
    options.onFailure?.(lastError, attempt, delay);
    if (now() + delay >= deadline) {
      throw new ChainError(
        ChainErrorCode.ConnectionFailed,
        `no chain endpoint answered after ${attempt} attempts: ${errorMessage(lastError)}`,
        { cause: lastError },
      );
    }
    if (delay > 0) {
      try {
        await sleep(delay, options.signal);
      } catch {
        // aborted: the loop head reports it
      }
    }
  }
}
