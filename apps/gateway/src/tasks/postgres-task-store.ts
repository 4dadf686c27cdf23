import { setTimeout as delay } from 'node:timers/promises';
import { queryPrepared } from '@vstack/database';
import type { TaskPriority } from '@vstack/queues';
import type { DataSource } from 'typeorm';
import type { NewTask, TaskOutcome, TaskRecord, TaskStatus, WebhookStatus } from './task';
import type { FinishResult, InsertOutcome, QueuedMark, TaskListQuery, TaskStore } from './task-store';

interface TaskRow {
  id: string;
  api_key_id: string;
  task_type: string;
  priority: TaskPriority;
  status: TaskStatus;
  input: unknown;
  result: unknown;
  error_code: string | null;
  error_message: string | null;
  price_credits: string;
  attempts: number;
  miner_uid: number | null;
  miner_hotkey: string | null;
  latency_ms: number | null;
  callback_url: string | null;
  webhook_status: WebhookStatus | null;
  webhook_attempts: number;
  webhook_at: Date | null;
  idempotency_key: string | null;
  request_hash: string;
  created_at: Date;
  queued_at: Date | null;
  processing_at: Date | null;
  finished_at: Date | null;
}

const taskColumns = `"id", "api_key_id", "task_type", "priority", "status", "input", "result", "error_code",
  "error_message", "price_credits", "attempts", "miner_uid", "miner_hotkey", "latency_ms", "callback_url",
  "webhook_status", "webhook_attempts", "webhook_at", "idempotency_key", "request_hash", "created_at", "queued_at",
  "processing_at", "finished_at"`;

function toTask(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    apiKeyId: row.api_key_id,
    taskType: row.task_type,
    priority: row.priority,
    status: row.status,
    input: row.input,
    result: row.result,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    priceCredits: Number(row.price_credits),
    attempts: row.attempts,
    minerUid: row.miner_uid,
    minerHotkey: row.miner_hotkey,
    latencyMs: row.latency_ms,
    callbackUrl: row.callback_url,
    webhookStatus: row.webhook_status,
    webhookAttempts: row.webhook_attempts,
    webhookAt: row.webhook_at,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    createdAt: row.created_at,
    queuedAt: row.queued_at,
    processingAt: row.processing_at,
    finishedAt: row.finished_at,
  };
}

const UNIQUE_VIOLATION = '23505';

function sqlStateOf(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  return code ?? driverError?.code;
}

function isUniqueViolation(error: unknown): boolean {
  return sqlStateOf(error) === UNIQUE_VIOLATION;
}

// A deadlock or serialization failure rolls the whole statement back, so running it again is safe. Submissions lock
// the key's row then their tasks' (QUEUED marks), settling a result its task's then the key's: the two can deadlock
// when one key is busy both ways, and PostgreSQL then aborts one of them.
const RETRYABLE_STATES = new Set(['40P01', '40001']);
const STATEMENT_ATTEMPTS = 4;

// One statement, so one transaction (and one commit) for a batch of submissions: the holds (one UPDATE per key for
// the sum of its tasks' prices, refused unless the key is live and its balance covers the sum), their ledger rows,
// the new tasks as PENDING, and the QUEUED mark of earlier tasks whose jobs are now queued. A key whose sum is
// refused gets none of its tasks written; the caller tries those again one by one.
const recordSubmissionsSql = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
      "id" uuid, "api_key_id" uuid, "task_type" text, "priority" text, "input" jsonb, "price_credits" bigint,
      "callback_url" text, "idempotency_key" text, "request_hash" text, "created_at" timestamptz)
  ), totals AS (
    SELECT "api_key_id", sum("price_credits") AS "total" FROM input GROUP BY "api_key_id"
  ), held AS (
    UPDATE "gateway_api_keys" AS k
    SET "balance" = k."balance" - totals."total", "held" = k."held" + totals."total"
    FROM totals
    WHERE k."id" = totals."api_key_id" AND k."revoked_at" IS NULL AND k."balance" >= totals."total"
    RETURNING k."id"
  ), ledger AS (
    INSERT INTO "gateway_credit_ledger" ("api_key_id", "task_id", "kind", "amount", "created_at")
    SELECT i."api_key_id", i."id", 'hold', -i."price_credits", i."created_at"
    FROM input i JOIN held h ON h."id" = i."api_key_id"
  ), tasks AS (
    INSERT INTO "gateway_tasks" ("id", "api_key_id", "task_type", "priority", "status", "input", "price_credits",
      "callback_url", "webhook_status", "idempotency_key", "request_hash", "created_at")
    SELECT i."id", i."api_key_id", i."task_type", i."priority", 'PENDING', i."input", i."price_credits",
      i."callback_url", CASE WHEN i."callback_url" IS NULL THEN NULL ELSE 'pending' END, i."idempotency_key",
      i."request_hash", i."created_at"
    FROM input i JOIN held h ON h."id" = i."api_key_id"
    RETURNING "id"
  ), queued AS (
    UPDATE "gateway_tasks" AS t SET "status" = 'QUEUED', "queued_at" = m."at"
    FROM unnest($2::uuid[], $3::timestamptz[]) AS m("id", "at")
    WHERE t."id" = m."id" AND t."status" = 'PENDING'
  )
  SELECT "id" FROM tasks`;

// The task's final state and its credits in one statement: the key's hold goes (a failed or cancelled task's
// price back to the balance), and the ledger gets a release, plus a debit when the task completed. Nothing
// happens unless the task was in one of the expected states, so a result delivered twice settles once.
const finishSql = `
  WITH finished AS (
    UPDATE "gateway_tasks" SET
      "status" = $2, "result" = $3, "error_code" = $4, "error_message" = $5,
      "attempts" = COALESCE($6, "attempts"), "miner_uid" = $7, "miner_hotkey" = $8, "latency_ms" = $9,
      "finished_at" = $10,
      "webhook_status" = CASE WHEN "callback_url" IS NOT NULL AND $2 = 'CANCELLED' THEN 'skipped'
                              ELSE "webhook_status" END
    WHERE "id" = $1 AND "status" = ANY($11::text[])
    RETURNING ${taskColumns}
  ), settled AS (
    UPDATE "gateway_api_keys" AS k
    SET "held" = k."held" - f."price_credits",
        "balance" = k."balance" + CASE WHEN f."status" = 'COMPLETED' THEN 0 ELSE f."price_credits" END
    FROM finished f WHERE k."id" = f."api_key_id"
  ), ledger AS (
    INSERT INTO "gateway_credit_ledger" ("api_key_id", "task_id", "kind", "amount", "created_at")
    SELECT f."api_key_id", f."id", 'release', f."price_credits", $10 FROM finished f
    UNION ALL
    SELECT f."api_key_id", f."id", 'debit', -f."price_credits", $10 FROM finished f WHERE f."status" = 'COMPLETED'
  )
  SELECT * FROM finished`;

// Undoing an accepted task whose job never reached the queue, as if it had never been accepted.
const discardPendingSql = `
  WITH discarded AS (
    DELETE FROM "gateway_tasks" WHERE "id" = $1 AND "status" = 'PENDING'
    RETURNING "id", "api_key_id", "price_credits"
  ), unheld AS (
    UPDATE "gateway_api_keys" AS k
    SET "held" = k."held" - d."price_credits", "balance" = k."balance" + d."price_credits"
    FROM discarded d WHERE k."id" = d."api_key_id"
  ), forgotten AS (
    DELETE FROM "gateway_credit_ledger" l USING discarded d WHERE l."task_id" = d."id" AND l."kind" = 'hold'
  )
  SELECT "id" FROM discarded`;

/**
 * Organic tasks and their credit movements in the gateway's PostgreSQL schema. Statements that return rows are
 * SELECTs (data-modifying ones wrapped in a WITH): TypeORM answers a bare UPDATE or DELETE with [rows, count].
 */
export class PostgresTaskStore implements TaskStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs one statement, again when PostgreSQL aborted it to break a deadlock (after a short, random pause). A named
   * statement (those on the path of every task) is prepared once per connection.
   */
  private async query<T>(sql: string, parameters: readonly unknown[], name?: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (name !== undefined) return (await queryPrepared(this.dataSource, name, sql, parameters)) as T;
        return await this.dataSource.query<T>(sql, [...parameters]);
      } catch (error) {
        if (attempt >= STATEMENT_ATTEMPTS || !RETRYABLE_STATES.has(String(sqlStateOf(error)))) throw error;
        await delay(Math.random() * 5 * attempt);
      }
    }
  }

  insertPending(tasks: readonly NewTask[]): Promise<InsertOutcome[]> {
    return this.recordSubmissions(tasks, []);
  }

  async recordSubmissions(
    tasks: readonly NewTask[],
    queued: readonly QueuedMark[],
  ): Promise<InsertOutcome[]> {
    if (tasks.length === 0 && queued.length === 0) return [];
    let inserted: Set<string>;
    try {
      inserted = await this.insertBatch(tasks, queued);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // An Idempotency-Key already taken spoils the whole statement: mark the queued tasks on their own, then
      // find out which task it was.
      await this.insertBatch([], queued);
      return tasks.length === 1 ? [{ kind: 'duplicate' }] : this.insertOneByOne(tasks);
    }
    if (inserted.size === tasks.length) return tasks.map(() => ({ kind: 'inserted' }));
    const outcomes: InsertOutcome[] = [];
    for (const task of tasks) {
      if (inserted.has(task.id)) {
        outcomes.push({ kind: 'inserted' });
        continue;
      }
      // A key refused for the sum of several tasks may still afford some of them.
      const shared = tasks.some((other) => other !== task && other.apiKeyId === task.apiKeyId);
      const [outcome] = shared ? await this.insertOneByOne([task]) : [await this.whyRefused(task)];
      outcomes.push(outcome ?? { kind: 'key_revoked' });
    }
    return outcomes;
  }

  private async insertBatch(
    tasks: readonly NewTask[],
    queued: readonly QueuedMark[] = [],
  ): Promise<Set<string>> {
    const rows = await this.query<{ id: string }[]>(
      recordSubmissionsSql,
      [
        JSON.stringify(
          tasks.map((task) => ({
            id: task.id,
            api_key_id: task.apiKeyId,
            task_type: task.taskType,
            priority: task.priority,
            input: task.input,
            price_credits: task.priceCredits,
            callback_url: task.callbackUrl,
            idempotency_key: task.idempotencyKey,
            request_hash: task.requestHash,
            created_at: task.createdAt.toISOString(),
          })),
        ),
        queued.map((mark) => mark.taskId),
        queued.map((mark) => mark.at),
      ],
      'gateway_record_submissions',
    );
    return new Set(rows.map((row) => row.id));
  }

  private async insertOneByOne(tasks: readonly NewTask[]): Promise<InsertOutcome[]> {
    const outcomes: InsertOutcome[] = [];
    for (const task of tasks) {
      try {
        const inserted = await this.insertBatch([task]);
        outcomes.push(inserted.has(task.id) ? { kind: 'inserted' } : await this.whyRefused(task));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        outcomes.push({ kind: 'duplicate' });
      }
    }
    return outcomes;
  }

  private async whyRefused(task: NewTask): Promise<InsertOutcome> {
    const rows = await this.query<{ balance: string; revoked_at: Date | null }[]>(
      `SELECT "balance", "revoked_at" FROM "gateway_api_keys" WHERE "id" = $1`,
      [task.apiKeyId],
    );
    const [key] = rows;
    if (!key || key.revoked_at !== null) return { kind: 'key_revoked' };
    return { kind: 'insufficient_credits', balance: Number(key.balance) };
  }

  async markQueued(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.query<unknown>(
      `UPDATE "gateway_tasks" SET "status" = 'QUEUED', "queued_at" = $2
       WHERE "id" = ANY($1::uuid[]) AND "status" = 'PENDING'`,
      [ids, at],
    );
  }

  async discardPending(id: string): Promise<boolean> {
    const rows = await this.query<{ id: string }[]>(discardPendingSql, [id]);
    return rows.length > 0;
  }

  async markProcessing(id: string, at: Date): Promise<boolean> {
    const rows = await this.query<{ id: string }[]>(
      `WITH marked AS (
         UPDATE "gateway_tasks"
         SET "status" = 'PROCESSING', "processing_at" = $2, "queued_at" = COALESCE("queued_at", $2)
         WHERE "id" = $1 AND "status" IN ('PENDING', 'QUEUED')
         RETURNING "id"
       )
       SELECT "id" FROM marked`,
      [id, at],
      'gateway_mark_processing',
    );
    return rows.length > 0;
  }

  async finish(outcome: TaskOutcome, from: readonly TaskStatus[]): Promise<FinishResult | undefined> {
    const rows = await this.query<TaskRow[]>(
      finishSql,
      [
        outcome.taskId,
        outcome.status,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.errorCode ?? null,
        outcome.errorMessage ?? null,
        outcome.attempts ?? null,
        outcome.minerUid ?? null,
        outcome.minerHotkey ?? null,
        outcome.latencyMs ?? null,
        outcome.at,
        from,
      ],
      'gateway_finish_task',
    );
    const [row] = rows;
    if (row) return { task: toTask(row), changed: true };
    const task = await this.getTask(outcome.taskId);
    return task && { task, changed: false };
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const rows = await this.query<TaskRow[]>(
      `SELECT ${taskColumns} FROM "gateway_tasks" WHERE "id" = $1`,
      [id],
      'gateway_get_task',
    );
    return rows[0] && toTask(rows[0]);
  }

  async findByIdempotencyKey(apiKeyId: string, idempotencyKey: string): Promise<TaskRecord | undefined> {
    const rows = await this.query<TaskRow[]>(
      `SELECT ${taskColumns} FROM "gateway_tasks" WHERE "api_key_id" = $1 AND "idempotency_key" = $2`,
      [apiKeyId, idempotencyKey],
    );
    return rows[0] && toTask(rows[0]);
  }

  async listTasks(apiKeyId: string, query: TaskListQuery): Promise<TaskRecord[]> {
    const rows = await this.query<TaskRow[]>(
      `SELECT ${taskColumns} FROM "gateway_tasks"
       WHERE "api_key_id" = $1
         AND ($2::text IS NULL OR "status" = $2)
         AND ($3::text IS NULL OR "task_type" = $3)
         AND ($4::timestamptz IS NULL OR ("created_at", "id") < ($4::timestamptz, $5::uuid))
       ORDER BY "created_at" DESC, "id" DESC
       LIMIT $6`,
      [
        apiKeyId,
        query.status ?? null,
        query.taskType ?? null,
        query.after?.createdAt ?? null,
        query.after?.id ?? null,
        query.limit,
      ],
    );
    return rows.map(toTask);
  }

  async unfinishedBefore(
    before: Date,
    limit: number,
    statuses: readonly TaskStatus[],
  ): Promise<TaskRecord[]> {
    const rows = await this.query<TaskRow[]>(
      `SELECT ${taskColumns} FROM "gateway_tasks"
       WHERE "finished_at" IS NULL AND "status" = ANY($3::text[]) AND "created_at" < $1
       ORDER BY "created_at" LIMIT $2`,
      [before, limit, statuses],
    );
    return rows.map(toTask);
  }

  async pruneFinishedBefore(before: Date, limit: number): Promise<number> {
    const rows = await this.query<{ id: string }[]>(
      `WITH pruned AS (
         DELETE FROM "gateway_tasks" WHERE "id" IN (
           SELECT "id" FROM "gateway_tasks" WHERE "finished_at" IS NOT NULL AND "finished_at" < $1 LIMIT $2
         ) RETURNING "id"
       )
       SELECT "id" FROM pruned`,
      [before, limit],
    );
    return rows.length;
  }

  async setWebhookStatus(id: string, status: WebhookStatus, attempts: number, at: Date): Promise<void> {
    await this.query<unknown>(
      `UPDATE "gateway_tasks" SET "webhook_status" = $2, "webhook_attempts" = $3, "webhook_at" = $4
       WHERE "id" = $1 AND "webhook_status" IS NOT NULL`,
      [id, status, attempts, at],
    );
  }
}
