import { randomUUID } from 'node:crypto';
import type { FinishedTaskStatus } from '@vstack/contracts';
import type { TaskPriority } from '@vstack/queues';

/** The lifecycle of an organic task: PENDING → QUEUED → PROCESSING → COMPLETED | FAILED | CANCELLED. */
export const taskStatuses = ['PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/** States a task can still leave. */
export const unfinishedStatuses: readonly TaskStatus[] = ['PENDING', 'QUEUED', 'PROCESSING'];

/** States in which a task may be cancelled: no validator has taken it yet. */
export const cancellableStatuses: readonly TaskStatus[] = ['PENDING', 'QUEUED'];

/** True when a task has reached its final state. */
export function isFinished(status: TaskStatus): status is FinishedTaskStatus {
  return status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
}

/**
 * A new task id: a UUID version 7 (RFC 9562), the creation time in milliseconds followed by 74 random bits. Ids
 * that grow with time land at the right edge of the primary key and of the ledger's (task, movement) index, where
 * PostgreSQL appends without searching the tree and touches one page instead of a random one per task.
 */
export function newTaskId(now: number = Date.now()): string {
  const time = (Math.max(0, Math.trunc(now)) % 2 ** 48).toString(16).padStart(12, '0');
  // A version 4 UUID from node's random pool gives the random bits and the variant: xxxxxxxx-xxxx-4xxx-yxxx-...
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/** Where a task's webhook delivery stands, when it has a callback URL. */
export type WebhookStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/** An organic task as the gateway records it. */
export interface TaskRecord {
  id: string;
  apiKeyId: string;
  taskType: string;
  priority: TaskPriority;
  status: TaskStatus;
  input: unknown;
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  priceCredits: number;
  attempts: number;
  minerUid: number | null;
  minerHotkey: string | null;
  latencyMs: number | null;
  callbackUrl: string | null;
  webhookStatus: WebhookStatus | null;
  webhookAttempts: number;
  webhookAt: Date | null;
  idempotencyKey: string | null;
  requestHash: string;
  createdAt: Date;
  queuedAt: Date | null;
  processingAt: Date | null;
  finishedAt: Date | null;
}

/** A task being accepted: recorded as PENDING with its price held, before its job is queued. */
export interface NewTask {
  id: string;
  apiKeyId: string;
  taskType: string;
  priority: TaskPriority;
  input: unknown;
  priceCredits: number;
  callbackUrl: string | null;
  idempotencyKey: string | null;
  requestHash: string;
  createdAt: Date;
}

/** The final state of a task and what is known about how it got there. */
export interface TaskOutcome {
  taskId: string;
  status: FinishedTaskStatus;
  result?: unknown;
  errorCode?: string;
  errorMessage?: string;
  attempts?: number;
  minerUid?: number;
  minerHotkey?: string;
  latencyMs?: number;
  at: Date;
}
