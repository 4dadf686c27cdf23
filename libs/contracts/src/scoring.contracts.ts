import { z } from 'zod';
import { defineRpc } from './define';
import { netuid, ss58Address } from './wire';

/** The weight vector scoring would set now. */
export const weightsResponseSchema = z.object({
  /** Weight per miner hotkey, normalised to sum to 1 (empty when nothing has been scored yet). */
  weights: z.record(ss58Address, z.number().nonnegative()),
  /** Epoch the vector was computed for, when it belongs to one. */
  epoch: z.number().int().nonnegative().optional(),
});

/** Queries the scoring service answers. */
export const scoringRpc = defineRpc('scoring', {
  'scores.weights': { request: z.object({ netuid }), response: weightsResponseSchema },
});
