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

/**
 * Why a selection returned fewer miners than asked, as a code callers branch on. Stored data (dashboards, metrics
 * labels, callers' code): never rename one.
 */
export enum SelectionReasonCode {
  /** managing has not read the metagraph yet (the sidecar has not answered). */
  NoMetagraph = 'no_metagraph',
  /** This validator has no quota: not in the metagraph, too little stake, or no validator permit. */
  ValidatorNotEligible = 'validator_not_eligible',
  /** No miner (or too few) declares the task type. */
  TaskTypeNotServed = 'task_type_not_served',
  /** The miners that serve the task type are failing: their circuits are open. */
  MinersUnhealthy = 'miners_unhealthy',
  /** This validator has used its quota on the miners for this purpose in the current window. */
  QuotaExhausted = 'quota_exhausted',
  /** Fewer miners than asked pass the top-fraction-by-score cut for this purpose. */
  ScoreCutoff = 'score_cutoff',
}

export const selectMinersResponseSchema = z.object({
  miners: z.array(selectedMinerSchema),
  /** Why fewer miners than asked were returned (no quota left, circuit open, none serving), for people. */
  reason: z.string().optional(),
  /** The same as a code, for programs. */
  reasonCode: z.enum(SelectionReasonCode).optional(),
});

/**
 * What managing reads from a miner's `GET /status` on its axon (the miner proxy serves it). Both fields are
 * optional and other fields are ignored: a miner that declares nothing gets the default capacity and is taken to
 * serve every built-in task type.
 */
export const minerDeclarationSchema = z.object({
  /** Requests per quota window the miner offers all validators together (validators clamp it to their range). */
  capacity: z.number().int().positive().optional(),
  /** The task types the miner serves; an empty list means none. */
  taskTypes: z.array(z.string().min(1).max(64)).max(256).optional(),
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
export type MinerDeclaration = z.infer<typeof minerDeclarationSchema>;
export type MinerReport = z.infer<typeof minerReportSchema>;
