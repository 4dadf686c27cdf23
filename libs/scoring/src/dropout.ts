import { assertInRange, invalidOptions } from './errors';

/** At most this many results per miner are scored per window by default. */
export const DEFAULT_MAX_SCORED_PER_WINDOW = 4;
/** The dropout window by default: 10 minutes. */
export const DEFAULT_DROPOUT_WINDOW_MS = 600_000;

export interface DropoutOptions {
  /** Results scored per miner per window (default 4). */
  maxScored?: number;
  /** Length of the sliding window, in ms (default 600 000). */
  windowMs?: number;
}

/** What to do with one result, and the miner's scored timestamps afterwards. */
export interface DropoutDecision {
  /** `unscored` results are recorded as such: they count neither for nor against the miner. */
  readonly outcome: 'scored' | 'unscored';
  /** Timestamps of scored results still in the window, oldest first, including `now` when scored. Store these. */
  readonly scoredAt: readonly number[];
  /** When the next result could be scored (unix ms); `now` when it could be at once. */
  readonly nextSlotAt: number;
}

/**
 * The dropout cap over a sliding window: a result at `now` is scored when fewer than `maxScored` of the miner's
 * scored results lie in (now − window, now]. Results stamped after `now` (clock skew) count as in the window.
 */
export function applyDropout(
  recentScoredAt: readonly number[],
  now: number,
  options: DropoutOptions = {},
): DropoutDecision {
  const maxScored = options.maxScored ?? DEFAULT_MAX_SCORED_PER_WINDOW;
  const windowMs = options.windowMs ?? DEFAULT_DROPOUT_WINDOW_MS;
  if (!Number.isSafeInteger(maxScored) || maxScored < 1) {
    throw invalidOptions(`maxScored must be a positive integer, got ${String(maxScored)}`);
  }
  assertInRange(windowMs, Number.MIN_VALUE, Number.MAX_VALUE, 'windowMs', invalidOptions);
  assertInRange(now, -Number.MAX_VALUE, Number.MAX_VALUE, 'now');
  const inWindow = recentScoredAt.filter((at) => at > now - windowMs).sort((a, b) => a - b);
  const outcome = inWindow.length < maxScored ? 'scored' : 'unscored';
  const scoredAt = outcome === 'scored' ? [...inWindow, now].sort((a, b) => a - b) : inWindow;
  // A slot frees when the entry maxScored places from the newest leaves the window.
  const blocking = scoredAt[scoredAt.length - maxScored];
  return { outcome, scoredAt, nextSlotAt: blocking === undefined ? now : Math.max(now, blocking + windowMs) };
}
