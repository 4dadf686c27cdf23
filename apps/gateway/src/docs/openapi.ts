import { chatCompletionResponseSchema, taskTypes } from '@vstack/protocol';
import { z } from 'zod';
import {
  createdKeySchema,
  createKeySchema,
  grantCreditsSchema,
  keyViewSchema,
  ledgerEntrySchema,
  ledgerQuerySchema,
} from '../keys/dto';
import {
  chatRequestSchema,
  errorBodySchema,
  listTasksQuerySchema,
  quoteRequestSchema,
  quoteSchema,
  submissionSchemas,
  taskListSchema,
  taskViewSchema,
} from '../tasks/dto';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a zod schema, as a request (`input`: defaults optional) or a response (`output`). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const described = { ...(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema) };
  delete described['$schema'];
  return described;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });

function errorResponses(...statuses: number[]): Record<string, unknown> {
  const descriptions: Record<number, string> = {
    400: 'Malformed JSON, or a body or parameter that does not match its schema (`details` lists each problem).',
    401: 'No API key, an unknown one, or a revoked one.',
    402: 'The key has fewer credits than the task costs.',
    403: 'The key may not submit this task type (its scopes).',
    404: 'No such task type, task or key.',
    409: 'Idempotency-Key reused with another request, or a task that can no longer be cancelled.',
    413: 'The body is larger than the gateway accepts.',
    429: 'Rate limit exceeded; Retry-After says when to try again.',
    503: 'Redis or PostgreSQL cannot be reached; nothing was written. Retry-After says when to try again.',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: descriptions[status] ?? 'Error.', content: json(ref('Error')) },
    ]),
  );
}

function queryParameters(schema: z.ZodObject): unknown[] {
  const described = jsonSchemaOf(schema, 'input') as { properties?: Record<string, JsonSchema> };
  return Object.entries(described.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'The same key with the same body returns the same task; with another body, 409.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const prefer = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description: '`wait=N`: wait up to N seconds (at most GATEWAY_MAX_WAIT_SECONDS) for the task to finish.',
  schema: { type: 'string', example: 'wait=30' },
};

const taskId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const keyId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

const taskAnswers = {
  '200': { description: 'The task finished within the wait (Prefer: wait=N).', content: json(ref('Task')) },
  '202': {
    description: 'The task was accepted and queued; its price is held. Location names it.',
    content: json(ref('Task')),
  },
  ...errorResponses(400, 401, 402, 403, 404, 409, 413, 429, 503),
};

/** The OpenAPI 3.1 description of the gateway, from the zod schemas that validate its requests. */
export function openApiDocument(prices: Readonly<Record<string, number>>): JsonSchema {
  const typeNames = taskTypes.names;
  const schemas: Record<string, unknown> = {
    Task: jsonSchemaOf(taskViewSchema, 'output'),
    TaskList: jsonSchemaOf(taskListSchema, 'output'),
    Error: jsonSchemaOf(errorBodySchema, 'output'),
    QuoteRequest: jsonSchemaOf(quoteRequestSchema, 'input'),
    Quote: jsonSchemaOf(quoteSchema, 'output'),
    ChatCompletionRequest: jsonSchemaOf(chatRequestSchema, 'input'),
    ChatCompletion: jsonSchemaOf(chatCompletionResponseSchema, 'output'),
    CreateApiKey: jsonSchemaOf(createKeySchema, 'input'),
    ApiKey: jsonSchemaOf(keyViewSchema, 'output'),
    CreatedApiKey: jsonSchemaOf(createdKeySchema, 'output'),
    GrantCredits: jsonSchemaOf(grantCreditsSchema, 'input'),
    LedgerEntry: jsonSchemaOf(ledgerEntrySchema, 'output'),
  };
  const paths: Record<string, unknown> = {};
  for (const taskType of taskTypes.all()) {
    const schema = submissionSchemas.get(taskType.name);
    if (!schema) continue;
    const name = `Submission_${taskType.name.replaceAll('-', '_')}`;
    schemas[name] = jsonSchemaOf(schema, 'input');
    paths[`/v1/${taskType.name}`] = {
      post: {
        tags: ['tasks'],
        summary: `Submit a ${taskType.name} task (${prices[taskType.name] ?? 0} credits)`,
        description: `${taskType.description} Times out at the miners after ${taskType.timeoutMs} ms per attempt.`,
        operationId: `submit_${taskType.name.replaceAll('-', '_')}`,
        security: [{ apiKey: [] }],
        parameters: [idempotencyKey, prefer],
        requestBody: { required: true, content: json(ref(name)) },
        responses: taskAnswers,
      },
    };
  }
  paths['/v1/tasks/{type}'] = {
    post: {
      tags: ['tasks'],
      summary: 'Submit a task of any type',
      description: "The same as the typed route of the type: `input` is that type's request.",
      operationId: 'submit_task',
      security: [{ apiKey: [] }],
      parameters: [
        { name: 'type', in: 'path', required: true, schema: { type: 'string', enum: typeNames } },
        idempotencyKey,
        prefer,
      ],
      requestBody: {
        required: true,
        content: json({ oneOf: typeNames.map((type) => ref(`Submission_${type.replaceAll('-', '_')}`)) }),
      },
      responses: taskAnswers,
    },
  };
  paths['/v1/tasks'] = {
    get: {
      tags: ['tasks'],
      summary: "List the key's tasks, newest first",
      operationId: 'list_tasks',
      security: [{ apiKey: [] }],
      parameters: queryParameters(listTasksQuerySchema),
      responses: {
        '200': { description: 'A page of tasks.', content: json(ref('TaskList')) },
        ...errorResponses(400, 401, 429, 503),
      },
    },
  };
  paths['/v1/tasks/{id}'] = {
    get: {
      tags: ['tasks'],
      summary: 'A task',
      operationId: 'get_task',
      security: [{ apiKey: [] }],
      parameters: [taskId, prefer],
      responses: {
        '200': { description: 'The task.', content: json(ref('Task')) },
        ...errorResponses(401, 404, 429, 503),
      },
    },
    delete: {
      tags: ['tasks'],
      summary: 'Cancel a task no validator has taken yet (PENDING or QUEUED); its price is released',
      operationId: 'cancel_task',
      security: [{ apiKey: [] }],
      parameters: [taskId],
      responses: {
        '200': { description: 'The cancelled task.', content: json(ref('Task')) },
        ...errorResponses(401, 404, 409, 429, 503),
      },
    },
  };
  paths['/v1/tasks/{id}/events'] = {
    get: {
      tags: ['tasks'],
      summary: 'Server-sent events of a task: status, progress and chunk events; ends after the final status',
      operationId: 'task_events',
      security: [{ apiKey: [] }],
      parameters: [taskId],
      responses: {
        '200': {
          description: 'An event stream.',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...errorResponses(401, 404, 429, 503),
      },
    },
  };
  paths['/v1/quotes'] = {
    post: {
      tags: ['credits'],
      summary: 'What a task would cost, checked as its submission would be (nothing is held)',
      operationId: 'quote',
      security: [{ apiKey: [] }],
      requestBody: { required: true, content: json(ref('QuoteRequest')) },
      responses: {
        '200': { description: 'The quote.', content: json(ref('Quote')) },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    },
  };
  paths['/v1/account'] = {
    get: {
      tags: ['credits'],
      summary: "The key's scopes, rate limit, credits (balance, held, spent) and prices",
      operationId: 'account',
      security: [{ apiKey: [] }],
      responses: { '200': { description: 'The account.' }, ...errorResponses(401, 429, 503) },
    },
  };
  paths['/v1/account/ledger'] = {
    get: {
      tags: ['credits'],
      summary: "The key's credit movements, newest first",
      operationId: 'account_ledger',
      security: [{ apiKey: [] }],
      parameters: queryParameters(ledgerQuerySchema),
      responses: {
        '200': {
          description: 'Ledger entries.',
          content: json({
            type: 'object',
            properties: { data: { type: 'array', items: ref('LedgerEntry') } },
          }),
        },
        ...errorResponses(400, 401, 429, 503),
      },
    },
  };
  paths['/v1/chat/completions'] = {
    post: {
      tags: ['chat'],
      summary: `OpenAI-compatible chat completion: a text-generation task (${prices['text-generation'] ?? 0} credits)`,
      description:
        'Waits for the answer (up to GATEWAY_MAX_WAIT_SECONDS). With `stream: true` the answer comes as server-sent events, ending with `data: [DONE]`.',
      operationId: 'chat_completions',
      security: [{ apiKey: [] }],
      parameters: [idempotencyKey],
      requestBody: { required: true, content: json(ref('ChatCompletionRequest')) },
      responses: {
        '200': {
          description: 'The completion, or its event stream.',
          content: { ...json(ref('ChatCompletion')), 'text/event-stream': { schema: { type: 'string' } } },
        },
        '502': { description: 'The task failed at the miners.', content: json(ref('Error')) },
        '504': { description: 'No answer within the wait; the task goes on.', content: json(ref('Error')) },
        ...errorResponses(400, 401, 402, 403, 409, 429, 503),
      },
    },
  };
  paths['/v1/admin/keys'] = {
    post: {
      tags: ['admin'],
      summary: 'Create an API key (its secret is shown once)',
      operationId: 'create_key',
      security: [{ adminToken: [] }],
      requestBody: { required: true, content: json(ref('CreateApiKey')) },
      responses: {
        '201': { description: 'The key.', content: json(ref('CreatedApiKey')) },
        ...errorResponses(400, 401, 503),
      },
    },
    get: {
      tags: ['admin'],
      summary: 'List API keys',
      operationId: 'list_keys',
      security: [{ adminToken: [] }],
      responses: {
        '200': {
          description: 'Keys.',
          content: json({ type: 'object', properties: { data: { type: 'array', items: ref('ApiKey') } } }),
        },
        ...errorResponses(401, 503),
      },
    },
  };
  paths['/v1/admin/keys/{id}'] = {
    get: {
      tags: ['admin'],
      summary: 'An API key',
      operationId: 'get_key',
      security: [{ adminToken: [] }],
      parameters: [keyId],
      responses: {
        '200': { description: 'The key.', content: json(ref('ApiKey')) },
        ...errorResponses(401, 404, 503),
      },
    },
    delete: {
      tags: ['admin'],
      summary: 'Revoke an API key',
      operationId: 'revoke_key',
      security: [{ adminToken: [] }],
      parameters: [keyId],
      responses: {
        '200': { description: 'The revoked key.', content: json(ref('ApiKey')) },
        ...errorResponses(401, 404, 503),
      },
    },
  };
  paths['/v1/admin/keys/{id}/credits'] = {
    post: {
      tags: ['admin'],
      summary: 'Grant credits to a key (or take some away)',
      operationId: 'grant_credits',
      security: [{ adminToken: [] }],
      parameters: [keyId],
      requestBody: { required: true, content: json(ref('GrantCredits')) },
      responses: {
        '200': { description: 'The key.', content: json(ref('ApiKey')) },
        ...errorResponses(400, 401, 402, 404, 503),
      },
    },
  };
  paths['/v1/admin/keys/{id}/ledger'] = {
    get: {
      tags: ['admin'],
      summary: "A key's credit movements, newest first",
      operationId: 'key_ledger',
      security: [{ adminToken: [] }],
      parameters: [keyId, ...queryParameters(ledgerQuerySchema)],
      responses: {
        '200': {
          description: 'Ledger entries.',
          content: json({
            type: 'object',
            properties: { data: { type: 'array', items: ref('LedgerEntry') } },
          }),
        },
        ...errorResponses(400, 401, 404, 503),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'vstack gateway',
      version: '1',
      description:
        'Organic inference tasks for a Bittensor subnet: API keys with scopes, rate limits and credits; tasks queued by priority, answered by miners through the validator; results by polling, waiting, server-sent events or webhooks.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [
      { name: 'tasks' },
      { name: 'chat' },
      { name: 'credits' },
      { name: 'admin', description: 'Bearer GATEWAY_ADMIN_TOKEN.' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: vsk_...' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'GATEWAY_ADMIN_TOKEN.' },
      },
    },
  };
}
