import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { type AnyTaskType, taskTypes } from '@vstack/protocol';
import type { TaskPriority } from '@vstack/queues';
import { describeIssues, SERVICE_LOGGER } from '@vstack/runtime';
import type { z } from 'zod';
import { GatewayError, GatewayErrorCode, isOutage, unavailable } from '../errors';
import { GatewayMetrics } from '../gateway-metrics';
import type { ApiKeyRecord } from '../keys/api-key';
import { CLOCK, type Clock, GATEWAY_SETTINGS, KEY_STORE, TASK_QUEUE, TASK_STORE } from '../ports';
import type { KeyStore } from '../keys/key-store';
import type { GatewaySettings } from '../settings';
import { type ListTasksQuery, quoteRequestSchema, submissionSchemas } from './dto';
import { postgres, redis } from './outage';
import { requestHash, unstorableStringPath } from './request-hash';
import { cancellableStatuses, isFinished, type NewTask, newTaskId, type TaskRecord } from './task';
import { SubmissionWriter } from './submission-writer';
import { TaskFailureCode, TaskLifecycle } from './task-lifecycle.service';
import type { TaskQueue } from './task-queue';
import { TaskSignals } from './task-signals';
import type { TaskStore } from './task-store';
import { decodeCursor, encodeCursor, isUuid } from './task-view';

/** A task request checked against its type: what will be recorded and queued. */
export interface ParsedSubmission {
  taskType: AnyTaskType;
  input: unknown;
  priority: TaskPriority;
  callbackUrl: string | null;
}

/** Per-request options of a submission. */
export interface SubmitOptions {
  idempotencyKey?: string | undefined;
  /** The id to give the task (callers that listen for it before it exists); a fresh UUID by default. */
  taskId?: string;
}

/** The task a submission made, or the one an earlier request with the same Idempotency-Key made. */
export interface Submitted {
  task: TaskRecord;
  replayed: boolean;
}

export interface Quote {
  taskType: string;
  priceCredits: number;
  balance: number;
  sufficient: boolean;
}

export interface TaskPage {
  tasks: TaskRecord[];
  nextCursor: string | null;
}

const idempotencyKeyPattern = /^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$/;

// One statement at a time per replica: what arrives meanwhile forms the next batch. Submissions of one key wait on its
// row anyway, so a second statement mostly waited on the first; and the cost in PostgreSQL is mostly per statement
// (planning, the key's row, the commit), so fewer, larger batches cost less per task (see BENCHMARKS.md).
const WRITES_IN_FLIGHT = 1;
const MAX_BATCH = 200;

function invalid(problems: { path: string; message: string }[]): GatewayError {
  const summary = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return new GatewayError(GatewayErrorCode.InvalidRequest, `invalid request: ${summary}`, {
    details: problems,
  });
}

/** Parses a body with a schema; a mismatch is a 400 naming every field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalid(describeIssues(parsed.error));
  return parsed.data;
}

/**
 * Organic tasks on behalf of an API key: quotes, submissions (price held, job queued), look-ups, listings,
 * cancellations and waiting for a result.
 */
@Injectable()
export class TasksService {
  private readonly writer: SubmissionWriter;

  constructor(
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(TASK_QUEUE) private readonly queue: TaskQueue,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: TaskLifecycle,
    private readonly signals: TaskSignals,
    private readonly metrics: GatewayMetrics,
  ) {
    this.writer = new SubmissionWriter(store, { maxBatch: MAX_BATCH, maxInFlight: WRITES_IN_FLIGHT });
  }

  /** The price of a task type, in credits. */
  priceOf(taskType: string): number {
    return this.settings.prices[taskType] ?? 0;
  }

  /** The task type a key may submit: 404 for an unknown type, 403 when the key's scopes leave it out. */
  taskTypeFor(key: ApiKeyRecord, name: string): AnyTaskType {
    if (!taskTypes.has(name)) {
      throw new GatewayError(
        GatewayErrorCode.UnknownTaskType,
        `unknown task type ${JSON.stringify(name.slice(0, 100))}; known: ${taskTypes.names.join(', ')}`,
      );
    }
    if (!key.scopes.includes(name)) {
      throw new GatewayError(
        GatewayErrorCode.ScopeMissing,
        `this key may not submit ${name} tasks (its scopes: ${key.scopes.join(', ') || 'none'})`,
      );
    }
    return taskTypes.require(name);
  }

  /** Checks a submission body (input, priority, callback_url) against its task type. */
  parseSubmission(key: ApiKeyRecord, taskTypeName: string, body: unknown): ParsedSubmission {
    const taskType = this.taskTypeFor(key, taskTypeName);
    const schema = submissionSchemas.get(taskType.name);
    if (!schema) throw new Error(`no submission schema for ${taskType.name}`);
    const parsed = parseBody(schema, body);
    return this.checked({
      taskType,
      input: parsed.input,
      priority: parsed.priority,
      callbackUrl: parsed.callback_url ?? null,
    });
  }

  /** Checks what the schemas cannot: that a callback can be signed, and that every string can be stored. */
  checked(submission: ParsedSubmission): ParsedSubmission {
    if (submission.callbackUrl !== null && this.settings.webhookSecret === undefined) {
      throw new GatewayError(
        GatewayErrorCode.WebhooksDisabled,
        'this gateway sends no webhooks (GATEWAY_WEBHOOK_SECRET is unset); leave out callback_url',
      );
    }
    const path = unstorableStringPath(submission.input, 'input');
    if (path !== undefined) {
      throw invalid([{ path, message: 'contains a NUL character or a lone UTF-16 surrogate' }]);
    }
    return submission;
  }

  async quote(key: ApiKeyRecord, body: unknown): Promise<Quote> {
    const request = parseBody(quoteRequestSchema, body);
    const submission = this.parseSubmission(key, request.task_type, {
      input: request.input,
      priority: request.priority,
    });
    const fresh = await postgres(() => this.keys.getKey(key.id));
    const price = this.priceOf(submission.taskType.name);
    const balance = fresh?.balance ?? 0;
    return { taskType: submission.taskType.name, priceCredits: price, balance, sufficient: balance >= price };
  }

  /**
   * Accepts a task: records it PENDING with its price held (402 when the balance is short), queues its job, and
   * answers QUEUED. The QUEUED mark is written with the gateway's next statement, after the answer; this replica's
   * reads wait for it, and the maintenance sweep writes it if the gateway stops first. When the job cannot be
   * queued the record and the hold are undone and the client gets a 503, so a refused task never costs anything.
   */
  async submit(
    key: ApiKeyRecord,
    submission: ParsedSubmission,
    options: SubmitOptions = {},
  ): Promise<Submitted> {
    const { taskType, input, priority, callbackUrl } = submission;
    const idempotencyKey = this.idempotencyKey(options.idempotencyKey);
    const hash = requestHash({ type: taskType.name, input, priority, callback_url: callbackUrl });
    if (idempotencyKey !== null) {
      await this.writer.marksWritten();
      const existing = await postgres(() => this.store.findByIdempotencyKey(key.id, idempotencyKey));
      if (existing) return this.replay(existing, hash);
    }
    const task: NewTask = {
      id: options.taskId ?? newTaskId(this.clock.now()),
      apiKeyId: key.id,
      taskType: taskType.name,
      priority,
      input,
      priceCredits: this.priceOf(taskType.name),
      callbackUrl,
      idempotencyKey,
      requestHash: hash,
      createdAt: new Date(this.clock.now()),
    };
    const outcome = await postgres(() => this.writer.insert(task));
    switch (outcome.kind) {
      case 'inserted':
        break;
      case 'duplicate': {
        const existing =
          idempotencyKey === null
            ? undefined
            : await postgres(() => this.store.findByIdempotencyKey(key.id, idempotencyKey));
        if (!existing) throw new Error(`task ${task.id} collided with a task that cannot be found`);
        return this.replay(existing, hash);
      }
      case 'insufficient_credits':
        throw new GatewayError(
          GatewayErrorCode.InsufficientCredits,
          `a ${taskType.name} task costs ${task.priceCredits} credits; this key has ${outcome.balance}`,
        );
      case 'key_revoked':
        throw new GatewayError(GatewayErrorCode.KeyRevoked, 'the API key was revoked');
    }
    try {
      await this.queue.enqueue({
        taskId: task.id,
        taskType: task.taskType,
        request: input,
        priority,
        submittedAt: task.createdAt.toISOString(),
      });
    } catch (error) {
      await this.store.discardPending(task.id).catch((discardError: unknown) => {
        // The maintenance sweep discards it once it is stale.
        this.logger.error(
          { err: discardError, taskId: task.id },
          'could not undo a task whose job was not queued',
        );
      });
      throw isOutage(error) ? unavailable('Redis', error) : error;
    }
    const queuedAt = new Date(this.clock.now());
    this.writer.markQueued(task.id, queuedAt);
    this.metrics.taskAccepted(task.taskType, priority, task.priceCredits);
    // Every field written out, in one literal: a spread followed by more fields builds the object a property at a
    // time, which costs more than the rest of this method on the submission path.
    return {
      task: {
        id: task.id,
        apiKeyId: task.apiKeyId,
        taskType: task.taskType,
        priority: task.priority,
        status: 'QUEUED',
        input: task.input,
        result: null,
        errorCode: null,
        errorMessage: null,
        attempts: 0,
        minerUid: null,
        minerHotkey: null,
        priceCredits: task.priceCredits,
        latencyMs: null,
        callbackUrl,
        webhookStatus: callbackUrl === null ? null : 'pending',
        webhookAttempts: 0,
        webhookAt: null,
        idempotencyKey,
        requestHash: task.requestHash,
        createdAt: task.createdAt,
        queuedAt,
        processingAt: null,
        finishedAt: null,
      },
      replayed: false,
    };
  }

  /** One of the key's tasks; 404 for another key's task or an unknown id. */
  async get(key: ApiKeyRecord, id: string): Promise<TaskRecord> {
    const task = isUuid(id) ? await this.read(() => this.store.getTask(id)) : undefined;
    if (!task || task.apiKeyId !== key.id) {
      throw new GatewayError(GatewayErrorCode.TaskNotFound, `no task ${id.slice(0, 100)}`);
    }
    return task;
  }

  async list(key: ApiKeyRecord, query: ListTasksQuery): Promise<TaskPage> {
    const limit = query.limit ?? 20;
    const tasks = await this.read(() =>
      this.store.listTasks(key.id, {
        limit: limit + 1,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.type === undefined ? {} : { taskType: query.type }),
        ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
      }),
    );
    const page = tasks.slice(0, limit);
    const last = page.at(-1);
    return { tasks: page, nextCursor: tasks.length > limit && last ? encodeCursor(last) : null };
  }

  /**
   * Cancels a task no validator has taken: its job leaves the queue and its price is released. A task already
   * CANCELLED is returned as it is; one that has started or ended is a 409.
   */
  async cancel(key: ApiKeyRecord, id: string): Promise<TaskRecord> {
    const task = await this.get(key, id);
    if (task.status === 'CANCELLED') return task;
    const refuse = (status: string) =>
      new GatewayError(
        GatewayErrorCode.TaskNotCancellable,
        `task ${task.id} is ${status}: only PENDING or QUEUED tasks can be cancelled`,
      );
    if (!cancellableStatuses.includes(task.status)) throw refuse(task.status);
    const removed = await redis(() => this.queue.remove(task.id));
    if (removed === 'active' || removed === 'finished') throw refuse('already taken by a validator');
    const finished = await postgres(() =>
      this.lifecycle.finish(
        {
          taskId: task.id,
          status: 'CANCELLED',
          errorCode: TaskFailureCode.Cancelled,
          errorMessage: 'cancelled by the application',
          at: new Date(this.clock.now()),
        },
        cancellableStatuses,
      ),
    );
    if (!finished) throw new GatewayError(GatewayErrorCode.TaskNotFound, `no task ${id}`);
    if (!finished.changed && finished.task.status !== 'CANCELLED') throw refuse(finished.task.status);
    return finished.task;
  }

  /**
   * The task once it has finished, or as it is after `timeoutMs`. Listens before it looks, so a task that finishes
   * in between is not missed; `abort` (the client going away) ends the wait early.
   */
  async waitFor(taskId: string, timeoutMs: number, abort?: AbortSignal): Promise<TaskRecord | undefined> {
    const current = await this.read(() => this.store.getTask(taskId));
    if (!current || isFinished(current.status) || timeoutMs <= 0) return current;
    const waiter = this.signals.finished(taskId, timeoutMs, abort);
    try {
      const again = await postgres(() => this.store.getTask(taskId));
      if (!again || isFinished(again.status)) return again;
      await waiter.promise;
    } finally {
      waiter.cancel();
    }
    return postgres(() => this.store.getTask(taskId));
  }

  /** How long a request may wait, from its Prefer header's wait=N (capped by GATEWAY_MAX_WAIT_SECONDS). */
  waitMsFrom(prefer: string | undefined): number {
    const seconds = preferredWaitSeconds(prefer);
    return seconds === undefined ? 0 : Math.min(seconds * 1000, this.settings.maxWaitMs);
  }

  get maxWaitMs(): number {
    return this.settings.maxWaitMs;
  }

  /** A read of task records that sees every QUEUED mark this replica has given. */
  private async read<T>(query: () => Promise<T>): Promise<T> {
    await this.writer.marksWritten();
    return postgres(query);
  }

  private idempotencyKey(header: string | undefined): string | null {
    if (header === undefined) return null;
    if (!idempotencyKeyPattern.test(header)) {
      throw invalid([{ path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
    }
    return header;
  }

  private replay(existing: TaskRecord, hash: string): Submitted {
    if (existing.requestHash !== hash) {
      throw new GatewayError(
        GatewayErrorCode.IdempotencyConflict,
        `this Idempotency-Key was used for another request (task ${existing.id})`,
      );
    }
    return { task: existing, replayed: true };
  }
}

/** The `wait=N` of a Prefer header (RFC 7240), in seconds; undefined when it asks for none or is malformed. */
export function preferredWaitSeconds(prefer: string | undefined): number | undefined {
  if (prefer === undefined) return undefined;
  for (const preference of prefer.split(',')) {
    const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*(;.*)?$/i.exec(preference);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}
