import type { ScoringConfig } from '@vstack/config';
import { taskTypes } from '@vstack/protocol';
import { type ScoringProfile, scoringProfile } from '@vstack/scoring';

/** How scoring scores, as the config asks for it. */
export interface ScoringSettings {
  readonly netuid: number;
  /** The sidecar identity that sets the weights; the sidecar's default when absent. */
  readonly identity: string | undefined;
  /** Share of each task type in the overall score and the weights (only those above 0). */
  readonly taskTypeWeights: Readonly<Record<string, number>>;
  /** The task types that count, in the order the config lists them. */
  readonly weightedTaskTypes: readonly string[];
  /** The combined-score profile of each built-in task type: its latency floor and timeout, the speed share. */
  readonly profiles: ReadonlyMap<string, ScoringProfile>;
  readonly alpha: number;
  readonly dropout: { readonly maxScored: number; readonly windowMs: number };
  /** Share of organic responses scored against the reference answer. */
  readonly organicSpotCheck: number;
  readonly retentionMs: number;
  readonly concurrency: number;
}

const day = 86_400_000;

/** The settings of a validated config. */
export function scoringSettings(config: ScoringConfig): ScoringSettings {
  const taskTypeWeights = Object.fromEntries(
    Object.entries(config.SCORING_TASK_TYPE_WEIGHTS).filter(([, weight]) => weight > 0),
  );
  return {
    netuid: config.NETUID,
    identity: config.SCORING_IDENTITY,
    taskTypeWeights,
    weightedTaskTypes: Object.keys(taskTypeWeights),
    profiles: new Map(
      taskTypes.all().map((taskType) => [
        taskType.name,
        scoringProfile({
          floorMs: taskType.latencyFloorMs,
          timeoutMs: taskType.timeoutMs,
          accuracyWeight: 1 - config.SCORING_SPEED_WEIGHT,
          speedWeight: config.SCORING_SPEED_WEIGHT,
        }),
      ]),
    ),
    alpha: config.SCORING_EMA_ALPHA,
    dropout: { maxScored: config.SCORING_DROPOUT_MAX, windowMs: config.SCORING_DROPOUT_WINDOW_MS },
    organicSpotCheck: config.SCORING_ORGANIC_SPOT_CHECK,
    retentionMs: config.SCORING_RETENTION_DAYS * day,
    concurrency: config.SCORING_CONCURRENCY,
  };
}
