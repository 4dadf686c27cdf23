import { GatewayError, GatewayErrorCode } from '../errors';
import type { TaskView } from './dto';
import type { TaskRecord } from './task';

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/** A task as the API shows it (snake_case, ISO timestamps, the credits it cost). */
export function toTaskView(task: TaskRecord): TaskView {
  return {
    id: task.id,
    object: 'task',
    type: task.taskType,
    status: task.status,
    priority: task.priority,
    input: task.input,
    result: task.result ?? null,
    error:
      task.errorCode === null ? null : { code: task.errorCode, message: task.errorMessage ?? task.errorCode },
    price_credits: task.priceCredits,
    charged_credits: task.status === 'COMPLETED' ? task.priceCredits : 0,
    attempts: task.attempts,
    miner: task.minerUid === null ? null : { uid: task.minerUid, hotkey: task.minerHotkey },
    latency_ms: task.latencyMs,
    callback_url: task.callbackUrl,
    webhook:
      task.webhookStatus === null
        ? null
        : { status: task.webhookStatus, attempts: task.webhookAttempts, at: iso(task.webhookAt) },
    idempotency_key: task.idempotencyKey,
    created_at: task.createdAt.toISOString(),
    queued_at: iso(task.queuedAt),
    processing_at: iso(task.processingAt),
    finished_at: iso(task.finishedAt),
  };
}

/** The opaque cursor after a task: its creation time and id. */
export function encodeCursor(task: TaskRecord): string {
  return Buffer.from(`${task.createdAt.toISOString()}|${task.id}`).toString('base64url');
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The position a cursor stands for; a cursor this gateway did not make is a 400. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at = '', id = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime()) || !uuidPattern.test(id)) {
    throw new GatewayError(
      GatewayErrorCode.InvalidRequest,
      'invalid request: cursor: is not a cursor of this API',
      {
        details: [{ path: 'cursor', message: 'is not a cursor of this API' }],
      },
    );
  }
  return { createdAt, id };
}

/** True when a string is a UUID (task and key ids); other strings name nothing, so they are a 404 without a lookup. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
