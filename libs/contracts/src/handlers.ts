import type { PipeTransform } from '@nestjs/common';
import { EventPattern as NestEventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import { describeIssues, RpcErrorCode, rpcError } from './errors';
import {
  eventContract,
  type EventPattern,
  type EventPayload,
  isRpcPattern,
  rpcContract,
  type RpcPattern,
  type RpcRequest,
  type RpcResponse,
} from './registry';

type Answer<T> = T | Promise<T> | Observable<T>;

/**
 * Validates an incoming payload against its pattern's schema. An invalid payload is answered with
 * RPC_INVALID_PAYLOAD and the problems, so the caller gets an RpcRemoteError at once instead of a timeout.
 */
export class ContractPayloadPipe implements PipeTransform<unknown, unknown> {
  private readonly schema: z.ZodType;

  constructor(private readonly pattern: RpcPattern | EventPattern) {
    this.schema = isRpcPattern(pattern) ? rpcContract(pattern).request : eventContract(pattern).payload;
  }

  transform(value: unknown): unknown {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw rpcError(
      RpcErrorCode.InvalidPayload,
      `invalid payload for ${this.pattern}: ${describeIssues(result.error)}`,
      {
        issues: result.error.issues.map((issue) => ({
          path: issue.path.map(String),
          message: issue.message,
        })),
      },
    );
  }
}

/** The handler parameter that receives the payload of `pattern`, validated against its schema. */
export function RpcPayload(pattern: RpcPattern | EventPattern): ParameterDecorator {
  return Payload(new ContractPayloadPipe(pattern));
}

/**
 * Marks a method as the handler of an RPC message pattern. Its first parameter (the payload) and its return
 * type are checked against the pattern's types; validate the payload with `@RpcPayload(pattern)`.
 */
export function RpcHandler<P extends RpcPattern>(pattern: P) {
  return <F extends (payload: RpcRequest<P>, ...rest: never[]) => Answer<RpcResponse<P>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void => {
    MessagePattern(pattern)(target, key, descriptor as PropertyDescriptor);
  };
}

/** Marks a method as a listener of an event pattern; validate its input with `@RpcPayload(event)`. */
export function EventHandler<E extends EventPattern>(event: E) {
  return <F extends (payload: EventPayload<E>, ...rest: never[]) => Answer<unknown>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void => {
    NestEventPattern(event)(target, key, descriptor as PropertyDescriptor);
  };
}
