import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const storage = new AsyncLocalStorage<{ correlationId: string }>();

/** Runs fn with a correlation id that every log line written inside it carries. */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return storage.run({ correlationId }, fn);
}

/** The correlation id of the request or job being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** A fresh correlation id. */
export function newCorrelationId(): string {
  return randomUUID();
}

/** The header that carries a correlation id across HTTP hops. */
export const CORRELATION_HEADER = 'x-correlation-id';
