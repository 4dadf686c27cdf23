import { RpcException } from '@nestjs/microservices';
import type { z } from 'zod';

/** What went wrong on the calling side of an RPC or event. */
export enum ContractErrorCode {
  /** The owning service did not answer within the timeout. */
  Timeout = 'RPC_TIMEOUT',
  /** The owning service answered with an error; `remoteCode` says which. */
  Remote = 'RPC_REMOTE_ERROR',
  /** The owning service answered with something its response schema does not accept. */
  InvalidResponse = 'RPC_INVALID_RESPONSE',
  /** Redis could not be reached or refused to publish. */
  Unavailable = 'RPC_UNAVAILABLE',
  /** Options that cannot work (bad Redis URL, bad prefix, bad timeout). */
  InvalidOptions = 'RPC_INVALID_OPTIONS',
}

/**
 * Codes this lib puts on the wire as the `code` of an error answer. Handlers add their own domain codes
 * (`rpcError('NO_MINERS', ...)`); callers see either kind as `RpcRemoteError.remoteCode`. Stored data: callers
 * branch on them, never rename.
 */
export enum RpcErrorCode {
  /** The handler refused the payload: it does not match the pattern's request schema. */
  InvalidPayload = 'RPC_INVALID_PAYLOAD',
  /** The remote transport has no handler for the pattern. */
  NoHandler = 'RPC_NO_HANDLER',
  /** The handler failed with an error it did not describe; details stay in the remote service's log. */
  Internal = 'RPC_INTERNAL',
  /** The handler threw an RpcException with a bare message and no code. */
  Unspecified = 'RPC_UNSPECIFIED',
}

/** The JSON body of an error answer. */
export interface RemoteErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** The contracts lib's own error; `code` says what kind of problem it is, `cause` keeps the original. */
export class ContractError extends Error {
  constructor(
    readonly code: ContractErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ContractError';
  }
}

/** The owning service did not answer a request in time. */
export class RpcTimeoutError extends ContractError {
  constructor(
    readonly service: string,
    readonly pattern: string,
    readonly timeoutMs: number,
  ) {
    super(ContractErrorCode.Timeout, `${service} did not answer ${pattern} within ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/** The owning service answered a request with an error. */
export class RpcRemoteError extends ContractError {
  readonly remoteCode: string;
  readonly remoteMessage: string;
  readonly details: unknown;

  constructor(
    readonly service: string,
    readonly pattern: string,
    body: RemoteErrorBody,
  ) {
    super(ContractErrorCode.Remote, `${service} answered ${pattern} with ${body.code}: ${body.message}`, {
      cause: body,
    });
    this.name = 'RpcRemoteError';
    this.remoteCode = body.code;
    this.remoteMessage = body.message;
    this.details = body.details;
  }
}

/** True when an error is a ContractError, optionally with the given code. */
export function isContractError(error: unknown, code?: ContractErrorCode): error is ContractError {
  return error instanceof ContractError && (code === undefined || error.code === code);
}

/** The exception a handler throws to answer with an error code; the caller gets an RpcRemoteError with it. */
export function rpcError(code: string, message: string, details?: unknown): RpcException {
  const body: RemoteErrorBody = details === undefined ? { code, message } : { code, message, details };
  return new RpcException(body);
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

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
