import type { z } from 'zod';
import type { EventContract, RpcContract } from './define';
import { gatewayEvents } from './gateway.contracts';
import { managingRpc } from './managing.contracts';
import { scoringRpc } from './scoring.contracts';
import { sidecarEvents, sidecarRpc } from './sidecar.contracts';
import { validatorEvents } from './validator.contracts';

// Message and event patterns are stored data: they are the Redis channel names that running services of
// different versions share, and dashboards and alerts refer to them. NEVER rename one; add a new pattern and
// retire the old one once no running service uses it.

/** Every RPC message pattern of the stack (request → response), by pattern. */
export const rpcContracts = {
  ...sidecarRpc,
  ...managingRpc,
  ...scoringRpc,
} as const satisfies Record<string, RpcContract>;

/** Every event pattern of the stack (broadcasts), by pattern. */
export const eventContracts = {
  ...sidecarEvents,
  ...validatorEvents,
  ...gatewayEvents,
} as const satisfies Record<string, EventContract>;

/** An RPC message pattern, e.g. `miners.select`. */
export type RpcPattern = keyof typeof rpcContracts;

/** An event pattern, e.g. `chain.block.new`. */
export type EventPattern = keyof typeof eventContracts;

/** A service that answers RPC or broadcasts events. */
export type ContractService =
  (typeof rpcContracts)[RpcPattern]['service'] | (typeof eventContracts)[EventPattern]['service'];

/** What a caller sends with pattern P, and what its handler receives. */
export type RpcRequest<P extends RpcPattern> = z.infer<(typeof rpcContracts)[P]['request']>;

/** What the handler of pattern P answers, and what its caller receives. */
export type RpcResponse<P extends RpcPattern> = z.infer<(typeof rpcContracts)[P]['response']>;

/** The payload of event E. */
export type EventPayload<E extends EventPattern> = z.infer<(typeof eventContracts)[E]['payload']>;

/** The contract of an RPC message pattern. */
export function rpcContract(pattern: RpcPattern): RpcContract {
  return rpcContracts[pattern];
}

/** The contract of an event pattern. */
export function eventContract(event: EventPattern): EventContract {
  return eventContracts[event];
}

/** True when a string is one of the stack's RPC message patterns. */
export function isRpcPattern(name: string): name is RpcPattern {
  return Object.hasOwn(rpcContracts, name);
}

/** True when a string is one of the stack's event patterns. */
export function isEventPattern(name: string): name is EventPattern {
  return Object.hasOwn(eventContracts, name);
}
