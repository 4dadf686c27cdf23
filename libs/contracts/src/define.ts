import type { z } from 'zod';

/** The request and response schemas of one RPC message pattern. */
export interface RpcSchemas {
  request: z.ZodType;
  response: z.ZodType;
}

/** One RPC message pattern: the service that answers it and its schemas. */
export interface RpcContract<S extends string = string> extends RpcSchemas {
  service: S;
}

/** One event pattern: the service that broadcasts it and its payload schema. */
export interface EventContract<S extends string = string> {
  service: S;
  payload: z.ZodType;
}

/** Ties a service's RPC message patterns to the service that answers them. */
export function defineRpc<S extends string, M extends Record<string, RpcSchemas>>(
  service: S,
  patterns: M,
): { readonly [P in keyof M]: M[P] & { service: S } } {
  return Object.fromEntries(
    Object.entries(patterns).map(([pattern, schemas]) => [pattern, { ...schemas, service }]),
  ) as { readonly [P in keyof M]: M[P] & { service: S } };
}

/** Ties a service's event patterns to the service that broadcasts them. */
export function defineEvents<S extends string, M extends Record<string, z.ZodType>>(
  service: S,
  events: M,
): { readonly [E in keyof M]: { service: S; payload: M[E] } } {
  return Object.fromEntries(
    Object.entries(events).map(([event, payload]) => [event, { service, payload }]),
  ) as {
    readonly [E in keyof M]: { service: S; payload: M[E] };
  };
}
