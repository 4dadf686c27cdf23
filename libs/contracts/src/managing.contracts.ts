import { z } from 'zod';
import { defineRpc } from './define';
import { axonSchema, ss58Address, uid } from './wire';

/** What a miner's work is for: synthetic challenges and organic tasks have separate budgets. */
export const taskPurposes = ['synthetic', 'organic'] as const;
export type TaskPurpose = (typeof taskPurposes)[number];

export const selectMinersRequestSchema = z.object({
  taskType: z.string().min(1),
  /** How many miners the caller wants; it may get fewer. */
  count: z.number().int().min(1).max(256),
  purpose: z.enum(taskPurposes),
});

/** A miner picked to receive a task. */
export const selectedMinerSchema = z.object({ uid, hotkey: ss58Address, axon: axonSchema });

export const selectMinersResponseSchema = z.object({
  miners: z.array(selectedMinerSchema),
  /** Why fewer miners than asked were returned (no quota left, circuit open, none serving). */
  reason: z.string().optional(),
});

/** The outcome of one request to a miner, for its health and circuit breaker. */
export const minerReportSchema = z.object({
  uid,
  hotkey: ss58Address,
  ok: z.boolean(),
  latencyMs: z.number().nonnegative(),
});

/** Queries the managing service answers: miner selection under quotas, and miner health. */
export const managingRpc = defineRpc('managing', {
  'miners.select': { request: selectMinersRequestSchema, response: selectMinersResponseSchema },
  'miners.report': { request: minerReportSchema, response: z.object({ accepted: z.literal(true) }) },
});

export type SelectedMiner = z.infer<typeof selectedMinerSchema>;
export type MinerReport = z.infer<typeof minerReportSchema>;
