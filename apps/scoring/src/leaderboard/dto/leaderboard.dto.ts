import { taskTypeNameSchema } from '@vstack/protocol';
import { z } from 'zod';

function wholeNumber(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,6}$/, message)
    .transform(Number)
    .refine((value) => value >= min && value <= max, message);
}

/** `GET /scores` query: rank by one task type instead of the mix, and how many miners to list. */
export const leaderboardQuerySchema = z.object({
  taskType: taskTypeNameSchema.optional(),
  limit: wholeNumber(1, 65_536).optional(),
});

/** `GET /miners/{uid}` path. */
export const minerParamsSchema = z.object({ uid: wholeNumber(0, 65_535) });

/** `GET /miners/{uid}` query: how many recent records to list (default 50). */
export const minerQuerySchema = z.object({ limit: wholeNumber(1, 1_000).optional() });

export type LeaderboardQuery = z.output<typeof leaderboardQuerySchema>;
export type MinerParams = z.output<typeof minerParamsSchema>;
export type MinerQuery = z.output<typeof minerQuerySchema>;

/** One task type of a miner. */
export interface TaskTypeStanding {
  /** The moving score, in [0, 1]. */
  score: number;
  /** Scored responses in the moving score. */
  scored: number;
  /** Responses recorded unscored (dropout, organic not sampled). */
  unscored: number;
  /** When the last score was added, ISO 8601; null when none was. */
  updatedAt: string | null;
}

/** One miner on the leaderboard. */
export interface MinerStanding {
  /** 1 for the best. */
  rank: number;
  uid: number;
  hotkey: string;
  /** The moving scores mixed by the configured task type shares, in [0, 1]: what the weights follow. */
  score: number;
  scored: number;
  unscored: number;
  taskTypes: Record<string, TaskTypeStanding>;
}

/** `GET /scores`. */
export interface LeaderboardView {
  netuid: number;
  /** The share of each task type in `score`. */
  taskTypeWeights: Record<string, number>;
  /** Best first: by `score`, or by the asked task type's score. */
  miners: MinerStanding[];
}

/** One recorded response, as `GET /miners/{uid}` lists it. */
export interface ScoreRecordView {
  responseId: string;
  taskId: string;
  taskType: string;
  purpose: 'synthetic' | 'organic';
  hotkey: string;
  outcome: 'scored' | 'unscored';
  unscoredReason: string | null;
  status: string | null;
  accuracy: number | null;
  speed: number | null;
  score: number | null;
  latencyMs: number;
  error: string | null;
  recordedAt: string;
}

/** `GET /miners/{uid}`. */
export interface MinerView extends Omit<MinerStanding, 'rank'> {
  /** Newest first. */
  records: ScoreRecordView[];
}
