import { z } from 'zod';
import { defineRpc } from './define';
import { netuid, ss58Address, uid } from './wire';

/** The weight vector scoring would set now. */
export const weightsResponseSchema = z.object({
  /** Weight per miner hotkey, normalised to sum to 1 (empty when nothing has been scored yet). */
  weights: z.record(ss58Address, z.number().nonnegative()),
  /** Epoch the vector was computed for, when it belongs to one. */
  epoch: z.number().int().nonnegative().optional(),
});

export const minerScoresRequestSchema = z.object({ netuid, taskType: z.string().min(1) });

/** Each scored miner's moving score for one task type; miners not scored yet are absent. */
export const minerScoresResponseSchema = z.object({
  scores: z.array(z.object({ uid, hotkey: ss58Address, score: z.number().nonnegative() })),
});

/** Queries the scoring service answers. */
export const scoringRpc = defineRpc('scoring', {
  'scores.weights': { request: z.object({ netuid }), response: weightsResponseSchema },
  'scores.miners': { request: minerScoresRequestSchema, response: minerScoresResponseSchema },
});
