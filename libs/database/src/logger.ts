import type { Logger as OrmLogger } from 'typeorm';
import { errorMessage } from './errors';

type LogMethod = (details: Record<string, unknown>, message: string) => void;

/** The part of a pino logger this lib writes to; a pino Logger fits as is. */
export interface DatabaseLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Shortens SQL for a log line; parameters are never logged (they can hold keys and hashes). */
function sqlForLog(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}

/**
 * Adapts a DatabaseLogger to TypeORM's logger: slow queries are warnings; failed queries and migration progress
 * are debug, because the caller receives the error (and the migration runner reports what it applied).
 */
export function ormLogger(logger: DatabaseLogger): OrmLogger {
  return {
    logQuery() {
      // every query would drown the log; slow and failed ones are reported below
    },
    logQueryError(error, query) {
      logger.debug({ query: sqlForLog(query), error: errorMessage(error) }, 'query failed');
    },
    logQuerySlow(time, query) {
      logger.warn({ query: sqlForLog(query), durationMs: time }, 'slow query');
    },
    logSchemaBuild(message) {
      logger.debug({}, message);
    },
    logMigration(message) {
      logger.debug({}, message);
    },
    log(level, message) {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      if (level === 'warn') logger.warn({}, text);
      else logger.info({}, text);
    },
  };
}

/** A TypeORM logger that writes nothing; TypeORM otherwise prints migration failures and slow queries to stdout. */
export const silentOrmLogger: OrmLogger = {
  logQuery: () => undefined,
  logQueryError: () => undefined,
  logQuerySlow: () => undefined,
  logSchemaBuild: () => undefined,
  logMigration: () => undefined,
  log: () => undefined,
};
