import type { NewTask, TaskOutcome, TaskRecord, TaskStatus, WebhookStatus } from './task';

/** What recording a new task did. */
export type InsertOutcome =
  | { kind: 'inserted' }
  /** The key's balance is below the price; nothing was written. */
  | { kind: 'insufficient_credits'; balance: number }
  /** The key was revoked (or deleted) meanwhile; nothing was written. */
  | { kind: 'key_revoked' }
  /** The key already has a task with this Idempotency-Key; nothing was written. */
  | { kind: 'duplicate' };

/** A task whose job went into the queue at `at`. */
export interface QueuedMark {
  taskId: string;
  at: Date;
}

/** Filters and the page of a task listing, newest first. */
export interface TaskListQuery {
  status?: TaskStatus;
  taskType?: string;
  limit: number;
  /** The (createdAt, id) of the last task of the previous page. */
  after?: { createdAt: Date; id: string };
}

/** A task that reached a final state, and whether this call was the one that put it there. */
export interface FinishResult {
  task: TaskRecord;
  changed: boolean;
}

/** Organic tasks and the credit movements of their lifecycle in PostgreSQL. */
export interface TaskStore {
  /**
   * Records tasks as PENDING and holds each one's price, each with its ledger row, all or nothing per task:
   * one outcome per task, in order.
   */
  insertPending(tasks: readonly NewTask[]): Promise<InsertOutcome[]>;
  /**
   * `insertPending` and the QUEUED marks (each with its own time) in one transaction: a busy gateway records a
   * batch of new tasks together with the marks of the tasks whose jobs went into the queue meanwhile.
   */
  recordSubmissions(tasks: readonly NewTask[], queued: readonly QueuedMark[]): Promise<InsertOutcome[]>;
  /** PENDING → QUEUED for tasks whose jobs are in the queue. */
  markQueued(ids: readonly string[], at: Date): Promise<void>;
  /** Forgets a PENDING task whose job could not be queued: the task, its hold and its ledger row go. */
  discardPending(id: string): Promise<boolean>;
  /** PENDING or QUEUED → PROCESSING; false when the task is not (or no longer) in those states. */
  markProcessing(id: string, at: Date): Promise<boolean>;
  /**
   * Moves a task in one of `from` to its final state and settles its credits (completed: release and debit;
   * failed or cancelled: release) in one transaction. Undefined when there is no such task; `changed: false`
   * when it was not in one of `from` (already final: nothing moves twice).
   */
  finish(outcome: TaskOutcome, from: readonly TaskStatus[]): Promise<FinishResult | undefined>;
  getTask(id: string): Promise<TaskRecord | undefined>;
  findByIdempotencyKey(apiKeyId: string, idempotencyKey: string): Promise<TaskRecord | undefined>;
  listTasks(apiKeyId: string, query: TaskListQuery): Promise<TaskRecord[]>;
  /** Unfinished tasks accepted before `before`, oldest first. */
  unfinishedBefore(before: Date, limit: number, statuses: readonly TaskStatus[]): Promise<TaskRecord[]>;
  /** Deletes up to `limit` tasks that finished before `before`; returns how many. */
  pruneFinishedBefore(before: Date, limit: number): Promise<number>;
  setWebhookStatus(id: string, status: WebhookStatus, attempts: number, at: Date): Promise<void>;
}
