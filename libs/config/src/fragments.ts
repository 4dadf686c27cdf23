import { z } from 'zod';
import { describeVariable, flag, integer, logLevels, port, postgresUrl, redisUrl } from './variables';

/** Variables every service reads. */
export function serviceVariables(defaultPort: number) {
  return {
    HOST: describeVariable(z.string().min(1).prefault('127.0.0.1'), {
      description: 'Address the HTTP server binds to (0.0.0.0 in containers).',
    }),
    PORT: describeVariable(port.prefault(String(defaultPort)), {
      description: 'HTTP port for the API, /metrics and /health.',
    }),
    LOG_LEVEL: describeVariable(z.enum(logLevels).prefault('info'), {
      description: 'fatal, error, warn, info, debug, trace or silent.',
    }),
    LOG_FORMAT: describeVariable(z.enum(['auto', 'json', 'pretty']).prefault('auto'), {
      description: 'json, pretty, or auto (pretty when stdout is a terminal).',
    }),
    METRICS_TOKEN: describeVariable(z.string().min(16, 'must be at least 16 characters').optional(), {
      description: 'Bearer token for /metrics; when unset /metrics answers 403.',
      sensitive: true,
      example: 'change-me-to-a-long-random-string',
    }),
    SHUTDOWN_TIMEOUT_MS: describeVariable(integer(0, 600_000).prefault('10000'), {
      description: 'How long a stopping service waits for work in hand before it exits.',
    }),
  };
}

/** Variables of services that use Redis (queues, RPC, counters). */
export const redisVariables = {
  REDIS_URL: describeVariable(redisUrl.prefault('redis://127.0.0.1:6379'), {
    description: 'Redis for queues, RPC between services and counters.',
    sensitive: true,
  }),
  REDIS_PREFIX: describeVariable(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -')
      .prefault('vstack'),
    { description: 'Prefix of every Redis key, queue and channel the stack uses.' },
  ),
};

/** Variables of services that keep records in PostgreSQL. */
export const postgresVariables = {
  DATABASE_URL: describeVariable(postgresUrl.prefault('postgres://postgres@127.0.0.1:5432/postgres'), {
    description: 'PostgreSQL connection URL.',
    sensitive: true,
  }),
  DATABASE_SCHEMA: describeVariable(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
      .prefault('public'),
    { description: 'Schema that holds the tables.' },
  ),
  DATABASE_POOL_SIZE: describeVariable(integer(1, 200).prefault('10'), {
    description: 'Connections in the pool.',
  }),
  DATABASE_MIGRATE_ON_START: describeVariable(flag.prefault('false'), {
    description: 'Run pending migrations at start-up (under an advisory lock) instead of as a separate step.',
  }),
};
