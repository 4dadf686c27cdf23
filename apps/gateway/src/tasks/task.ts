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
