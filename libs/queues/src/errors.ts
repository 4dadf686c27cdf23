import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';

/** What went wrong in the queue layer. */
export enum QueueErrorCode {
  /** A payload does not match its job's schema. */
  InvalidPayload = 'QUEUE_INVALID_PAYLOAD',
  /** A job id BullMQ cannot use (empty, a bare integer, or containing ':'). */
  InvalidJobId = 'QUEUE_INVALID_JOB_ID',
  /** A name that is not one of the stack's job names. */
  UnknownJob = 'QUEUE_UNKNOWN_JOB',
  /** A worker cannot start: a job of its queue has no handler, or more than one. */
  HandlerRegistration = 'QUEUE_HANDLER_REGISTRATION',
  /** An option value that cannot work (concurrency, lock duration, ...). */
  InvalidOptions = 'QUEUE_INVALID_OPTIONS',
}

/** The queue layer's own error; `code` says what kind of problem it is. */
export class QueueError extends Error {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'QueueError';
  }
}

/**
 * Fails a job at once, without retries: a payload that does not match its schema, or a job this worker does
 * not know, cannot succeed by trying again. Extends BullMQ's UnrecoverableError, which is what tells BullMQ
 * not to retry.
 */
export class UnprocessableJobError extends UnrecoverableError {
  constructor(
    readonly code: QueueErrorCode.InvalidPayload | QueueErrorCode.UnknownJob,
    message: string,
  ) {
    super(message);
    this.name = 'UnprocessableJobError';
  }
}

/** "path: message; path: message" from a zod error, for one-line error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(payload)'}: ${issue.message}`,
    )
    .join('; ');
}
