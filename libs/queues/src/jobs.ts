import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

// Queue names and job names are stored data: they are part of every Redis key and every stored job, and
// dashboards and alerts refer to them. NEVER rename one; add a new name and retire the old one instead.

/** The BullMQ queues of the stack. Stored data: never rename. */
export enum QueueName {
  OrganicTasks = 'organic-tasks',
  SyntheticTasks = 'synthetic-tasks',
  Scoring = 'scoring',
  Weights = 'weights',
  OrganicResults = 'organic-results',
  GatewayWebhooks = 'gateway-webhooks',
}

/** The jobs that travel through the queues. Stored data: never rename. */
export enum JobName {
  OrganicTask = 'organic.task',
  SyntheticTask = 'synthetic.task',
  ScoreResponse = 'score.response',
  SetWeights = 'weights.set',
  OrganicResult = 'organic.result',
  DeliverWebhook = 'webhook.deliver',
}

/** Priorities an application may give an organic task. */
export const taskPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type TaskPriority = (typeof taskPriorities)[number];

/** BullMQ priority per task priority: lower numbers are taken first, so urgent is 1. */
export const bullPriorityOf: Readonly<Record<TaskPriority, number>> = {
  urgent: 1,
  high: 2,
  normal: 3,
  low: 4,
};

const id = z.string().min(1);
// Any JSON value. The predicate is typed `boolean` on purpose so the payload type stays `unknown`.
const jsonValue = z.unknown().refine((value): boolean => value !== undefined, { message: 'is required' });
const isoTimestamp = z.iso.datetime({ offset: true });
const uid = z.number().int().min(0).max(65_535);

/** An inference task an application submitted to the gateway. */
export const organicTaskSchema = z.object({
  taskId: id,
  taskType: id,
  /** The task type's request, validated against its schema by the gateway. */
  request: jsonValue,
  priority: z.enum(taskPriorities),
  submittedAt: isoTimestamp,
});

/** A challenge produced by the synthesizing service. */
export const syntheticTaskSchema = z.object({
  taskId: id,
  taskType: id,
  request: jsonValue,
  createdAt: isoTimestamp,
});

/** One miner's answer (or failure to answer) to one task, to be scored. */
export const scoreResponseSchema = z.object({
  /** Unique per miner per task; makes scoring idempotent. */
  responseId: id,
  taskId: id,
  taskType: id,
  purpose: z.enum(['synthetic', 'organic']),
  minerUid: uid,
  minerHotkey: id,
  /** The task type's request the miner was sent; scoring computes the reference answer from it. */
  request: jsonValue,
  /** The miner's response body, or null when it sent none. */
  response: z.unknown().nullable(),
  latencyMs: z.number().nonnegative(),
  /** Why the request failed (timeout, HTTP status, invalid body), when it did. */
  error: z.string().optional(),
});

/** A weight vector for one epoch, to be put on chain by the sidecar. */
export const setWeightsSchema = z.object({
  netuid: uid,
  epoch: z.number().int().nonnegative(),
  /**
   * Weight per miner hotkey; the sidecar normalises and quantises to u16. Scoring sends the u16 values it
   * quantised itself, which that conversion leaves unchanged.
   */
  weights: z.record(id, z.number().nonnegative()),
  /** Pylon identity (validator wallet) that sets the weights; the sidecar's default when absent. */
  identity: id.optional(),
});

/** The outcome of an organic task, from the validator back to the gateway. */
export const organicResultSchema = z.object({
  taskId: id,
  taskType: id,
  status: z.enum(['completed', 'failed']),
  /** The miner's validated response, when completed. */
  result: z.unknown().optional(),
  /** Why the task failed, when it did. */
  error: z.string().optional(),
  minerUid: uid.optional(),
  minerHotkey: id.optional(),
  /** Miners asked, hedges included. */
  attempts: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative().optional(),
  finishedAt: isoTimestamp,
});

/** A finished organic task whose result the gateway POSTs to the application's callback URL. */
export const deliverWebhookSchema = z.object({
  taskId: id,
});

export type OrganicTaskPayload = z.output<typeof organicTaskSchema>;
export type SyntheticTaskPayload = z.output<typeof syntheticTaskSchema>;
export type ScoreResponsePayload = z.output<typeof scoreResponseSchema>;
export type SetWeightsPayload = z.output<typeof setWeightsSchema>;
export type OrganicResultPayload = z.output<typeof organicResultSchema>;
export type DeliverWebhookPayload = z.output<typeof deliverWebhookSchema>;

/** Every job of the stack: its name tied to its payload. */
export type JobItem =
  | { name: JobName.OrganicTask; data: OrganicTaskPayload }
  | { name: JobName.SyntheticTask; data: SyntheticTaskPayload }
  | { name: JobName.ScoreResponse; data: ScoreResponsePayload }
  | { name: JobName.SetWeights; data: SetWeightsPayload }
  | { name: JobName.OrganicResult; data: OrganicResultPayload }
  | { name: JobName.DeliverWebhook; data: DeliverWebhookPayload };

/** The payload of job T. */
export type JobOf<T extends JobName> = Extract<JobItem, { name: T }>['data'];

/** The BullMQ options the stack sets per job. */
export type JobOptions = Required<
  Pick<JobsOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>
>;

/** What the stack knows about one job name: its queue, payload schema, options and priority. */
export interface JobDefinition<T extends JobName> {
  queue: QueueName;
  schema: z.ZodType<JobOf<T>>;
  options: JobOptions;
  /** BullMQ priority for a payload; jobs without one are taken in arrival order. */
  priority?: (payload: JobOf<T>) => number;
}

const hour = 3600;
const day = 24 * hour;

// A finished job is kept for `removeOnComplete.age` seconds, and while it is kept a job with the same id is
// not added again: that age is also the window in which re-submitting a job is a no-op.
export const jobDefinitions: { readonly [T in JobName]: JobDefinition<T> } = {
  [JobName.OrganicTask]: {
    queue: QueueName.OrganicTasks,
    schema: organicTaskSchema,
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: day, count: 100_000 },
      removeOnFail: { age: 7 * day },
    },
    priority: (payload) => bullPriorityOf[payload.priority],
  },
  [JobName.SyntheticTask]: {
    queue: QueueName.SyntheticTasks,
    schema: syntheticTaskSchema,
    // Challenges are cheap and go stale; one retry, short retention.
    options: {
      attempts: 2,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: hour, count: 10_000 },
      removeOnFail: { age: day, count: 10_000 },
    },
  },
  [JobName.ScoreResponse]: {
    queue: QueueName.Scoring,
    schema: scoreResponseSchema,
    options: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { age: day, count: 100_000 },
      removeOnFail: { age: 7 * day },
    },
  },
  [JobName.SetWeights]: {
    queue: QueueName.Weights,
    schema: setWeightsSchema,
    // The chain can refuse weights for a while (rate limit, commit-reveal window); keep trying across the epoch.
    options: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { age: 30 * day },
      removeOnFail: { age: 30 * day },
    },
  },
  [JobName.OrganicResult]: {
    queue: QueueName.OrganicResults,
    schema: organicResultSchema,
    // A result settles a caller's credits: keep retrying, keep failures for inspection.
    options: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: day, count: 100_000 },
      removeOnFail: { age: 30 * day },
    },
  },
  [JobName.DeliverWebhook]: {
    queue: QueueName.GatewayWebhooks,
    schema: deliverWebhookSchema,
    // An application's endpoint may be down for a while: back off from 2 s to about 17 min, about 34 min in all.
    options: {
      attempts: 11,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { age: day, count: 100_000 },
      removeOnFail: { age: 7 * day },
    },
  },
};

/** The job names that travel through a queue. */
export function jobNamesOf(queue: QueueName): JobName[] {
  return Object.values(JobName).filter((name) => jobDefinitions[name].queue === queue);
}

/** True when the string is a job name of the stack. */
export function isJobName(name: string): name is JobName {
  return (Object.values(JobName) as string[]).includes(name);
}
