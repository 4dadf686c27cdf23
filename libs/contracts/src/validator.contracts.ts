import { z } from 'zod';
import { defineEvents } from './define';
import { uid } from './wire';

/** Where an organic task is in the validator's hands. */
export const taskStages = ['processing', 'miner_selected', 'miner_answered', 'hedged', 'retrying'] as const;
export type TaskStage = (typeof taskStages)[number];

/** A step of an organic task in the validator (progress for the gateway's event stream). */
export const taskProgressEventSchema = z.object({
  taskId: z.string().min(1),
  stage: z.enum(taskStages),
  /** Unix ms. */
  at: z.number().int().nonnegative(),
  minerUid: uid.optional(),
  detail: z.string().optional(),
});

/**
 * A piece of a streamed answer (chat completions with `stream: true`), in order by `index`; `done` marks the
 * last one. The complete answer still arrives as the task's result on the organic-results queue.
 */
export const taskChunkEventSchema = z.object({
  taskId: z.string().min(1),
  index: z.number().int().nonnegative(),
  /** The chunk as the miner sent it (an SSE data payload for chat completions). */
  data: z.string(),
  done: z.boolean(),
});

/**
 * An organic request the validator sampled for synthesizing to replay as a synthetic challenge. It carries no
 * caller identity and no task id (which the gateway could tie back to the caller): only the task type's request.
 */
export const organicSampledEventSchema = z.object({
  /** A fresh UUID per sample, so every listener that stores it stores it once. */
  sampleId: z.uuid(),
  taskType: z.string().min(1),
  /** The request as validated against its task type's schema (fields the schema does not know are gone). */
  request: z.unknown().refine((value): boolean => value !== undefined, { message: 'is required' }),
  sampledAt: z.iso.datetime({ offset: true }),
});

/** Events the validator broadcasts about the tasks in its hands. */
export const validatorEvents = defineEvents('validator', {
  'task.progress': taskProgressEventSchema,
  'task.chunk': taskChunkEventSchema,
  'organic.sampled': organicSampledEventSchema,
});

export type TaskProgressEvent = z.infer<typeof taskProgressEventSchema>;
export type TaskChunkEvent = z.infer<typeof taskChunkEventSchema>;
export type OrganicSampledEvent = z.infer<typeof organicSampledEventSchema>;
