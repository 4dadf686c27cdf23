import type { HttpMappedError } from '@vstack/runtime';

/** Why the gateway refused or failed a request; each code is part of the HTTP contract: never rename one. */
export enum GatewayErrorCode {
  /** No API key, or one the gateway does not know. */
  Unauthorized = 'unauthorized',
  /** The API key was revoked. */
  KeyRevoked = 'api_key_revoked',
  /** A wrong or missing admin token. */
  AdminUnauthorized = 'admin_unauthorized',
  /** GATEWAY_ADMIN_TOKEN is unset, so the admin routes are off. */
  AdminDisabled = 'admin_disabled',
  /** The key may not submit tasks of this type. */
  ScopeMissing = 'scope_missing',
  UnknownTaskType = 'unknown_task_type',
  /** The body or a parameter does not match its schema (`details` lists each problem). */
  InvalidRequest = 'invalid_request',
  TaskNotFound = 'task_not_found',
  KeyNotFound = 'api_key_not_found',
  /** The key's balance is below the task's price. */
  InsufficientCredits = 'insufficient_credits',
  /** The key sent more requests than its rate limit allows (Retry-After says when to try again). */
  RateLimited = 'rate_limited',
  /** The Idempotency-Key was used before with another request. */
  IdempotencyConflict = 'idempotency_conflict',
  /** The task has started (or ended), so it can no longer be cancelled. */
  TaskNotCancellable = 'task_not_cancellable',
  /** The task asked for a callback_url, but GATEWAY_WEBHOOK_SECRET is unset. */
  WebhooksDisabled = 'webhooks_disabled',
  /** The task failed at the miners (chat completions answer with it, like an upstream error). */
  TaskFailed = 'task_failed',
  /** The task did not finish within the wait; it goes on, and GET /v1/tasks/{id} will have its result. */
  WaitTimeout = 'wait_timeout',
  /** Redis or PostgreSQL cannot be reached; nothing was written (Retry-After says when to try again). */
  Unavailable = 'service_unavailable',
}

const statusOf: Readonly<Record<GatewayErrorCode, number>> = {
  [GatewayErrorCode.Unauthorized]: 401,
  [GatewayErrorCode.KeyRevoked]: 401,
  [GatewayErrorCode.AdminUnauthorized]: 401,
  [GatewayErrorCode.AdminDisabled]: 403,
  [GatewayErrorCode.ScopeMissing]: 403,
  [GatewayErrorCode.UnknownTaskType]: 404,
  [GatewayErrorCode.InvalidRequest]: 400,
  [GatewayErrorCode.TaskNotFound]: 404,
  [GatewayErrorCode.KeyNotFound]: 404,
  [GatewayErrorCode.InsufficientCredits]: 402,
  [GatewayErrorCode.RateLimited]: 429,
  [GatewayErrorCode.IdempotencyConflict]: 409,
  [GatewayErrorCode.TaskNotCancellable]: 409,
  [GatewayErrorCode.WebhooksDisabled]: 400,
  [GatewayErrorCode.TaskFailed]: 502,
  [GatewayErrorCode.WaitTimeout]: 504,
  [GatewayErrorCode.Unavailable]: 503,
};

/** Extra facts an error carries to the client. */
export interface GatewayErrorOptions {
  details?: unknown;
  /** Sent as Retry-After. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** An error of the gateway with its code and HTTP status. */
export class GatewayError extends Error implements HttpMappedError {
  readonly httpStatus: number;
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.httpStatus = statusOf[code];
    if (options.details !== undefined) this.details = options.details;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** True when an error is a GatewayError, optionally with the given code. */
export function isGatewayError(error: unknown, code?: GatewayErrorCode): error is GatewayError {
  return error instanceof GatewayError && (code === undefined || error.code === code);
}

/** Seconds a client is asked to wait after an outage of Redis or PostgreSQL. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_SOCKET_CLOSED',
]);

// What the pg driver, the pg pool and ioredis say when their server is away, whatever wraps the error.
const outageMessages =
  /connection terminated|connection is closed|timeout exceeded when trying to connect|client has encountered a connection error|stream isn't writeable|reached the max retries per request|connect ECONNREFUSED|Connection ended|socket closed unexpectedly/i;

interface ErrorFields {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
  driverError?: unknown;
}

/**
 * True when an error says that Redis or PostgreSQL cannot be reached (connection refused, closed or timed out, a
 * server shutting down or out of connections), looking inside the wrappers TypeORM, BullMQ and AggregateError add.
 */
export function isOutage(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const fields = error as ErrorFields;
  if (typeof fields.code === 'string') {
    if (networkCodes.has(fields.code)) return true;
    // SQLSTATE class 08 (connection exception); 57P01-57P03 (shutting down, cannot connect now); 53300.
    if (/^08[0-9A-Z]{3}$|^57P0[123]$|^53300$/.test(fields.code)) return true;
  }
  if (fields.name === 'MaxRetriesPerRequestError') return true;
  if (typeof fields.message === 'string' && outageMessages.test(fields.message)) return true;
  if (Array.isArray(fields.errors) && fields.errors.some((inner) => isOutage(inner, depth + 1))) return true;
  return isOutage(fields.driverError, depth + 1) || isOutage(fields.cause, depth + 1);
}

/** The 503 a client gets while `what` is away. */
export function unavailable(
  what: 'PostgreSQL' | 'Redis' | 'Redis or PostgreSQL',
  cause: unknown,
): GatewayError {
  return new GatewayError(
    GatewayErrorCode.Unavailable,
    `${what} cannot be reached; nothing was written, try again shortly`,
    { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS, cause },
  );
}
