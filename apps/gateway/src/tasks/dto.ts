import { chatCompletionRequestSchema, taskTypes } from '@vstack/protocol';
import { taskPriorities } from '@vstack/queues';
import { z } from 'zod';
import { taskStatuses } from './task';

// The schemas of the task routes: the ZodValidationPipe and the services validate requests with them, and
// /docs describes the API with the very same schemas (z.toJSONSchema).

export const prioritySchema = z
  .enum(taskPriorities)
  .meta({ description: 'Queue priority: urgent tasks are taken first, low ones last.' });

export const callbackUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2_048)
  .meta({
    description:
      'Where the gateway POSTs the finished task (completed or failed), signed with the Vstack-Signature header.',
  });

/** The body of `POST /v1/tasks/{type}` and of the typed routes: the task type's request and how to run it. */
export function submissionSchema<S extends z.ZodType>(input: S) {
  return z.strictObject({
    input: input.meta({ description: "The task type's request." }),
    priority: prioritySchema.default('normal'),
    callback_url: callbackUrlSchema.optional(),
  });
}

/** The submission schema of each task type, built once. */
export const submissionSchemas: ReadonlyMap<string, ReturnType<typeof submissionSchema>> = new Map(
  taskTypes.all().map((taskType) => [taskType.name, submissionSchema(taskType.requestSchema)]),
);

/** The body of `POST /v1/quotes`. */
export const quoteRequestSchema = z.strictObject({
  task_type: z.string().min(1).max(100).meta({ description: 'The task type, e.g. arithmetic.' }),
  input: z.unknown().meta({ description: "The task type's request, checked as a submission would be." }),
  priority: prioritySchema.default('normal'),
});

export const quoteSchema = z.object({
  object: z.literal('quote'),
  task_type: z.string(),
  price_credits: z.int(),
  balance: z.int().meta({ description: "The key's spendable credits now." }),
  sufficient: z.boolean().meta({ description: 'True when the balance covers the price.' }),
});

const statusFilter = z
  .string()
  .transform((value) => value.toUpperCase())
  .pipe(z.enum(taskStatuses))
  .meta({
    description: 'Only tasks in this state (PENDING, QUEUED, PROCESSING, COMPLETED, FAILED, CANCELLED).',
  });

/** The query of `GET /v1/tasks`. */
export const listTasksQuerySchema = z.object({
  status: statusFilter.optional(),
  type: z.string().min(1).max(100).optional().meta({ description: 'Only tasks of this type.' }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(
      z.int().min(1, 'must be a whole number from 1 to 100').max(100, 'must be a whole number from 1 to 100'),
    )
    .optional()
    .meta({ description: 'Tasks per page, 1 to 100 (default 20).' }),
  cursor: z.string().max(200).optional().meta({ description: 'The next_cursor of the previous page.' }),
});
export type ListTasksQuery = z.output<typeof listTasksQuerySchema>;

const timestamp = z.iso.datetime({ offset: true });

/** A task as the API shows it. */
export const taskViewSchema = z.object({
  id: z.uuid(),
  object: z.literal('task'),
  type: z.string(),
  status: z.enum(taskStatuses),
  priority: z.enum(taskPriorities),
  input: z.unknown(),
  result: z.unknown().meta({ description: "The task type's response, once COMPLETED; null before." }),
  error: z
    .object({ code: z.string(), message: z.string() })
    .nullable()
    .meta({ description: 'Why the task FAILED, or that it was CANCELLED.' }),
  price_credits: z.int(),
  charged_credits: z.int().meta({ description: 'The price once COMPLETED; 0 otherwise.' }),
  attempts: z.int().meta({ description: 'Miners asked.' }),
  miner: z.object({ uid: z.int(), hotkey: z.string().nullable() }).nullable(),
  latency_ms: z.number().nullable(),
  callback_url: z.string().nullable(),
  webhook: z
    .object({
      status: z.enum(['pending', 'delivered', 'failed', 'skipped']),
      attempts: z.int(),
      at: timestamp.nullable(),
    })
    .nullable(),
  idempotency_key: z.string().nullable(),
  created_at: timestamp,
  queued_at: timestamp.nullable(),
  processing_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
});
export type TaskView = z.output<typeof taskViewSchema>;

export const taskListSchema = z.object({
  object: z.literal('list'),
  data: z.array(taskViewSchema),
  next_cursor: z.string().nullable(),
});

/** The body of `POST /v1/chat/completions`: an OpenAI chat completion request (unknown fields are ignored). */
export const chatRequestSchema = chatCompletionRequestSchema.extend({
  stream: z.boolean().optional().meta({ description: 'Answer with server-sent events, as OpenAI does.' }),
  priority: prioritySchema.optional(),
});
export type ChatRequest = z.output<typeof chatRequestSchema>;

/** Every error answer. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
