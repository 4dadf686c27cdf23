import { z } from 'zod';
import { defineEvents } from './define';

/** How an organic task ended. */
export const finishedTaskStatuses = ['COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type FinishedTaskStatus = (typeof finishedTaskStatuses)[number];

/**
 * An organic task reached its final state in the gateway's records. Every gateway replica hears it and wakes the
 * requests waiting for that task (Prefer: wait, event streams, streamed chat completions).
 */
export const taskFinishedEventSchema = z.object({
  taskId: z.string().min(1),
  status: z.enum(finishedTaskStatuses),
  /** Unix ms. */
  at: z.number().int().nonnegative(),
});

/** Events the gateway broadcasts about the tasks it owns. */
export const gatewayEvents = defineEvents('gateway', {
  'task.finished': taskFinishedEventSchema,
});

export type TaskFinishedEvent = z.infer<typeof taskFinishedEventSchema>;
