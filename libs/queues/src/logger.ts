import type { Logger } from '@vstack/observability';

/** Where the queue layer reports what it cannot throw to a caller: connection errors and failed jobs. */
export interface QueueLogger {
  warn(message: string, context: Record<string, unknown>): void;
  error(message: string, context: Record<string, unknown>): void;
}

/** The logger used when a service passes none. */
export const consoleQueueLogger: QueueLogger = {
  warn: (message, context) => {
    console.warn(message, context);
  },
  error: (message, context) => {
    console.error(message, context);
  },
};

/** The queue layer's logger on top of a service's pino logger (context first, as pino takes it). */
export function queueLoggerOf(logger: Pick<Logger, 'warn' | 'error'>): QueueLogger {
  return {
    warn: (message, context) => {
      logger.warn(context, message);
    },
    error: (message, context) => {
      logger.error(context, message);
    },
  };
}
