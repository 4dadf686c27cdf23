import type { OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants';
import { EmptyError, firstValueFrom, lastValueFrom, throwError, timeout } from 'rxjs';
import {
  ContractError,
  ContractErrorCode,
  describeIssues,
  errorMessage,
  type RemoteErrorBody,
  RpcErrorCode,
  RpcRemoteError,
  RpcTimeoutError,
} from './errors';
import {
  eventContract,
  type EventPattern,
  type EventPayload,
  rpcContract,
  type RpcPattern,
  type RpcRequest,
  type RpcResponse,
} from './registry';
import { PrefixedRedisClient, type RpcConnectionOptions, redisTransportOptions } from './transport';

/** How long a caller waits for an answer unless told otherwise. */
export const DEFAULT_RPC_TIMEOUT_MS = 2_000;

// Nest's default exception filter answers anything but an RpcException with this message.
const nestUnknownExceptionMessage = 'Internal server error';

/** Per-call options. */
export interface RpcCallOptions {
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

/** Options of a typed RPC client. */
export interface RpcClientOptions extends RpcConnectionOptions {
  /** How long `send` waits for an answer and `emit` for Redis; DEFAULT_RPC_TIMEOUT_MS when absent. */
  timeoutMs?: number;
}

function assertTimeout(timeoutMs: number): void {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new ContractError(
      ContractErrorCode.InvalidOptions,
      `invalid RPC timeout ${timeoutMs}: must be a whole number of milliseconds, at least 1`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && !Array.isArray(value);
}

/**
 * What an error answer says, or undefined when the failure happened on this side. Remote errors arrive as
 * parsed JSON (plain objects, or Nest's bare no-handler string); local failures are Error instances.
 */
export function remoteErrorBody(error: unknown): RemoteErrorBody | undefined {
  if (error === NO_MESSAGE_HANDLER) return { code: RpcErrorCode.NoHandler, message: NO_MESSAGE_HANDLER };
  if (!isPlainObject(error)) return undefined;
  const message = typeof error['message'] === 'string' ? error['message'] : 'no message';
  if (typeof error['code'] === 'string') {
    return error['details'] === undefined
      ? { code: error['code'], message }
      : { code: error['code'], message, details: error['details'] };
  }
  const code = message === nestUnknownExceptionMessage ? RpcErrorCode.Internal : RpcErrorCode.Unspecified;
  return { code, message };
}

/** The part of Nest's ClientProxy the typed client uses. */
export type RpcTransport = Pick<ClientProxy, 'send' | 'emit' | 'connect' | 'close'>;

/**
 * A ClientProxy whose `send` and `emit` are typed by pattern: a payload that does not match the pattern is a
 * compile error, answers are validated against the response schema, and every call has a timeout.
 */
export class RpcClient implements OnApplicationShutdown {
  private readonly timeoutMs: number;

  constructor(
    private readonly proxy: RpcTransport,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    assertTimeout(this.timeoutMs);
  }

  /** Asks the service that owns `pattern`; throws RpcTimeoutError, RpcRemoteError or ContractError. */
  async send<P extends RpcPattern>(
    pattern: P,
    payload: RpcRequest<P>,
    options: RpcCallOptions = {},
  ): Promise<RpcResponse<P>> {
    const { service, response } = rpcContract(pattern);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    assertTimeout(timeoutMs);
    let answer: unknown;
    try {
      answer = await firstValueFrom(
        this.proxy.send<unknown>(pattern, payload).pipe(
          timeout({
            first: timeoutMs,
            with: () => throwError(() => new RpcTimeoutError(service, pattern, timeoutMs)),
          }),
        ),
      );
    } catch (error) {
      throw this.callError(error, service, pattern);
    }
    const parsed = response.safeParse(answer);
    if (!parsed.success) {
      throw new ContractError(
        ContractErrorCode.InvalidResponse,
        `${service} answered ${pattern} with an invalid response: ${describeIssues(parsed.error)}`,
        { cause: parsed.error },
      );
    }
    return parsed.data as RpcResponse<P>;
  }

  /** Broadcasts an event; resolves once Redis has taken it (nobody confirms it was heard). */
  async emit<E extends EventPattern>(
    event: E,
    payload: EventPayload<E>,
    options: RpcCallOptions = {},
  ): Promise<void> {
    const { service } = eventContract(event);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    assertTimeout(timeoutMs);
    try {
      await lastValueFrom(
        this.proxy.emit<unknown>(event, payload).pipe(
          timeout({
            first: timeoutMs,
            with: () =>
              throwError(
                () =>
                  new ContractError(
                    ContractErrorCode.Unavailable,
                    `could not publish ${event} (${service}) within ${timeoutMs} ms`,
                  ),
              ),
          }),
        ),
        { defaultValue: undefined },
      );
    } catch (error) {
      if (error instanceof ContractError) throw error;
      throw new ContractError(
        ContractErrorCode.Unavailable,
        `could not publish ${event} (${service}): ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Connects to Redis now instead of on the first call, so a bad address shows at start-up. */
  async connect(): Promise<void> {
    try {
      await this.proxy.connect();
    } catch (error) {
      throw new ContractError(
        ContractErrorCode.Unavailable,
        `cannot connect to Redis for RPC: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Closes both Redis connections; calls in flight fail. */
  async close(): Promise<void> {
    await (this.proxy.close() as Promise<void> | undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private callError(error: unknown, service: string, pattern: string): ContractError {
    if (error instanceof ContractError) return error;
    const body = remoteErrorBody(error);
    if (body) return new RpcRemoteError(service, pattern, body);
    if (error instanceof EmptyError) {
      return new ContractError(
        ContractErrorCode.InvalidResponse,
        `${service} answered ${pattern} with nothing`,
        {
          cause: error,
        },
      );
    }
    return new ContractError(
      ContractErrorCode.Unavailable,
      `could not ask ${service} ${pattern}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** A typed RPC client over Nest's Redis transport, with channels under `options.prefix`. */
export function createRpcClient(options: RpcClientOptions): RpcClient {
  const proxy = new PrefixedRedisClient(options.prefix, redisTransportOptions(options));
  return options.timeoutMs === undefined
    ? new RpcClient(proxy)
    : new RpcClient(proxy, { timeoutMs: options.timeoutMs });
}
