import { assertInRange, invalidInput, invalidOptions } from './errors';

/** Share of accuracy in the combined score by default. */
export const DEFAULT_ACCURACY_WEIGHT = 0.7;
/** Share of speed in the combined score by default. */
export const DEFAULT_SPEED_WEIGHT = 0.3;

/** How one task type's responses are scored; build it with `scoringProfile`. */
export interface ScoringProfile {
  /** Share of accuracy in the combined score (with `speedWeight`, sums to 1). */
  readonly accuracyWeight: number;
  /** Share of speed in the combined score. */
  readonly speedWeight: number;
  /** Latency at or below which speed is 1, in ms. */
  readonly floorMs: number;
  /** The task type's timeout: latency at or beyond which speed is 0 and the response scores 0, in ms. */
  readonly timeoutMs: number;
  /** Shape of the speed curve between floor and timeout: 1 is linear, above 1 rewards being fast more. */
  readonly speedExponent: number;
}

export interface ScoringProfileOptions {
  floorMs: number;
  timeoutMs: number;
  /** Relative weight of accuracy (default 0.7); weights are normalised to sum to 1. */
  accuracyWeight?: number;
  /** Relative weight of speed (default 0.3). */
  speedWeight?: number;
  /** Default 1 (linear). */
  speedExponent?: number;
}

/** A validated scoring profile; the two weights are normalised to sum to 1. Throws ScoringError `InvalidOptions`. */
export function scoringProfile(options: ScoringProfileOptions): ScoringProfile {
  const accuracyWeight = options.accuracyWeight ?? DEFAULT_ACCURACY_WEIGHT;
  const speedWeight = options.speedWeight ?? DEFAULT_SPEED_WEIGHT;
  const speedExponent = options.speedExponent ?? 1;
  assertInRange(accuracyWeight, 0, Number.MAX_VALUE, 'accuracyWeight', invalidOptions);
  assertInRange(speedWeight, 0, Number.MAX_VALUE, 'speedWeight', invalidOptions);
  const total = accuracyWeight + speedWeight;
  if (!(total > 0)) throw invalidOptions('accuracyWeight and speedWeight cannot both be 0');
  assertInRange(options.floorMs, 0, Number.MAX_VALUE, 'floorMs', invalidOptions);
  assertInRange(options.timeoutMs, 0, Number.MAX_VALUE, 'timeoutMs', invalidOptions);
  if (options.floorMs >= options.timeoutMs) {
    throw invalidOptions(`floorMs (${options.floorMs}) must be below timeoutMs (${options.timeoutMs})`);
  }
  if (!(speedExponent > 0) || !Number.isFinite(speedExponent)) {
    throw invalidOptions(`speedExponent must be a positive number, got ${String(speedExponent)}`);
  }
  return {
    accuracyWeight: accuracyWeight / total,
    speedWeight: speedWeight / total,
    floorMs: options.floorMs,
    timeoutMs: options.timeoutMs,
    speedExponent,
  };
}

/**
 * Speed of a response in [0, 1]: 1 at or below the floor, 0 at or beyond the timeout, and between them
 * (1 − t)^exponent with t = (latency − floor) / (timeout − floor), a straight line for the default exponent 1.
 * A negative latency (clock skew) counts as 0. Non-increasing in latency.
 */
export function speedScore(
  latencyMs: number,
  profile: Pick<ScoringProfile, 'floorMs' | 'timeoutMs' | 'speedExponent'>,
): number {
  if (Number.isNaN(latencyMs)) throw invalidInput('latency is NaN');
  if (latencyMs <= profile.floorMs) return 1;
  if (latencyMs >= profile.timeoutMs) return 0;
  const t = (latencyMs - profile.floorMs) / (profile.timeoutMs - profile.floorMs);
  return (1 - t) ** profile.speedExponent;
}

/** accuracyWeight · accuracy + speedWeight · speed, in [0, 1] for inputs in [0, 1]. */
export function combinedScore(
  accuracy: number,
  speed: number,
  profile: Pick<ScoringProfile, 'accuracyWeight' | 'speedWeight'>,
): number {
  assertInRange(accuracy, 0, 1, 'accuracy');
  assertInRange(speed, 0, 1, 'speed');
  return Math.min(1, profile.accuracyWeight * accuracy + profile.speedWeight * speed);
}

/** How a miner's attempt at a task ended, as far as scoring is concerned. */
export type ResponseResult =
  /** A response that passed the task type's schema, with its accuracy in [0, 1]. */
  | { readonly status: 'answered'; readonly accuracy: number; readonly latencyMs: number }
  /** Nothing came back (connection refused, HTTP error, empty body). */
  | { readonly status: 'no_response' }
  /** A body came back that does not match the task type's response schema. */
  | { readonly status: 'invalid' }
  /** No answer within the task type's timeout. */
  | { readonly status: 'timeout' };

export type ResponseStatus = ResponseResult['status'];

/** The score of one response: its parts and the combined score. */
export interface ResponseScore {
  /** `answered` turns into `timeout` when the latency reached the timeout. */
  readonly status: ResponseStatus;
  readonly accuracy: number;
  readonly speed: number;
  readonly combined: number;
}

/** Scores one response: no response, an invalid response and a timeout (however late it arrived) score 0. */
export function scoreResponse(result: ResponseResult, profile: ScoringProfile): ResponseScore {
  switch (result.status) {
    case 'no_response':
    case 'invalid':
    case 'timeout':
      return { status: result.status, accuracy: 0, speed: 0, combined: 0 };
    case 'answered': {
      assertInRange(result.accuracy, 0, 1, 'accuracy');
      if (Number.isNaN(result.latencyMs)) throw invalidInput('latency is NaN');
      if (result.latencyMs >= profile.timeoutMs) {
        return { status: 'timeout', accuracy: 0, speed: 0, combined: 0 };
      }
      const speed = speedScore(result.latencyMs, profile);
      return {
        status: 'answered',
        accuracy: result.accuracy,
        speed,
        combined: combinedScore(result.accuracy, speed, profile),
      };
    }
  }
}
