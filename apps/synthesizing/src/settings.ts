import type { SynthesizingConfig } from '@vstack/config';

/** How synthesizing works, as the config asks for it. */
export interface SynthesizingSettings {
  /** Synthetic tasks per minute, by task type (only task types above 0). */
  readonly ratesPerMinute: Readonly<Record<string, number>>;
  /** Adding stops while this many synthetic tasks (or more) wait in the queue. */
  readonly maxQueueDepth: number;
  /** Share of synthetic tasks that replay a sampled organic request when one is stored. */
  readonly replayShare: number;
  /** Sampled organic requests older than this are deleted, in ms. */
  readonly sampleRetentionMs: number;
  /** Sampled organic requests kept per task type (the newest); 0 stores none. */
  readonly samplesPerTaskType: number;
  /** How often the queue depth is checked and the tasks due are added, in ms. */
  readonly tickMs: number;
}

const hour = 3_600_000;

/** The settings of a validated config. */
export function synthesizingSettings(config: SynthesizingConfig): SynthesizingSettings {
  return {
    ratesPerMinute: Object.fromEntries(
      Object.entries(config.SYNTHESIZING_TASKS_PER_MINUTE).filter(([, rate]) => rate > 0),
    ),
    maxQueueDepth: config.SYNTHESIZING_MAX_QUEUE_DEPTH,
    replayShare: config.SYNTHESIZING_SAMPLES_PER_TASK_TYPE === 0 ? 0 : config.SYNTHESIZING_REPLAY_SHARE,
    sampleRetentionMs: config.SYNTHESIZING_SAMPLE_RETENTION_HOURS * hour,
    samplesPerTaskType: config.SYNTHESIZING_SAMPLES_PER_TASK_TYPE,
    tickMs: config.SYNTHESIZING_TICK_MS,
  };
}
