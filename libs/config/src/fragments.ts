import { z } from 'zod';
import { describeVariable, flag, integer, logLevels, port, postgresUrl, redisUrl } from './variables';

/** Bounds of every HTTP server; the runtime falls back to these when a config leaves them out. */
export const httpLimitDefaults = {
  maxHeaderBytes: 16_384,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Above the longest wait a route offers (the sidecar's X-Timeout-Ms, up to 300 s).
  idleTimeoutMs: 310_000,
  // Above the 60 s idle timeout of common load balancers, so they close first.
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
} as const;

/** Limits of the HTTP server against large, slow or numerous clients. */
const httpLimitVariables = {
  HTTP_BODY_LIMIT_BYTES: describeVariable(integer(1_024, 1_073_741_824).optional(), {
    description:
      "Largest request body, in bytes (413 above); the service's own when unset (1 MiB, the gateway 4 MiB, the devnet 16 MiB). The miner proxy's forwarded bodies follow MAX_BODY_BYTES.",
    example: '1048576',
  }),
  HTTP_MAX_HEADER_BYTES: describeVariable(
    integer(1_024, 1_048_576).prefault(String(httpLimitDefaults.maxHeaderBytes)),
    { description: 'Largest request line and headers together, in bytes (431 above).' },
  ),
  HTTP_HEADERS_TIMEOUT_MS: describeVariable(
    integer(1_000, 600_000).prefault(String(httpLimitDefaults.headersTimeoutMs)),
    {
      description:
        'A client must send all its headers within this time, or its connection is closed (slow clients).',
    },
  ),
  HTTP_REQUEST_TIMEOUT_MS: describeVariable(
    integer(1_000, 3_600_000).prefault(String(httpLimitDefaults.requestTimeoutMs)),
    { description: 'A client must send its whole request, body included, within this time (408 after).' },
  ),
  HTTP_IDLE_TIMEOUT_MS: describeVariable(
    integer(1_000, 3_600_000).prefault(String(httpLimitDefaults.idleTimeoutMs)),
    { description: 'A connection with no traffic either way for this long is closed.' },
  ),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: describeVariable(
    integer(1_000, 600_000).prefault(String(httpLimitDefaults.keepAliveTimeoutMs)),
    { description: 'An idle keep-alive connection between requests is closed after this long.' },
  ),
  HTTP_MAX_CONNECTIONS: describeVariable(
    integer(0, 1_000_000).prefault(String(httpLimitDefaults.maxConnections)),
    { description: 'Open connections the HTTP server accepts; more are closed at once (0: no limit).' },
  ),
};

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
    ...httpLimitVariables,
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
