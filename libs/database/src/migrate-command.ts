import type { DataSource } from 'typeorm';
import { closeDataSource, connectDataSource, dataSourceSchema, dataSourceUrl } from './data-source';
import { DatabaseError, DatabaseErrorCode, describeTarget, errorMessage, withoutPassword } from './errors';
import type { DatabaseLogger } from './logger';
import { runMigrations, type RunMigrationsOptions } from './migrations';

export interface MigrateCommandOptions extends RunMigrationsOptions {
  /** The app whose migrations run, for the log lines. */
  service: string;
  /** Builds the app's DataSource (usually `createDataSource` with the app's config). */
  dataSource: () => DataSource;
  logger: DatabaseLogger;
}

/** The outcome of `main.js migrate`; the app's main turns it into an exit code. */
export type MigrateCommandResult = { ok: true; applied: string[] } | { ok: false; error: DatabaseError };

/** Codes whose message says everything; a stack would only hide it. */
const selfExplanatory = new Set<DatabaseErrorCode>([
  DatabaseErrorCode.InvalidOptions,
  DatabaseErrorCode.Unreachable,
  DatabaseErrorCode.ConnectionRejected,
  DatabaseErrorCode.LockTimeout,
]);

/**
 * The `migrate` command of an app: connects, applies pending migrations under the advisory lock, logs what it
 * applied or why it failed, and closes the connection. It never exits the process.
 */
export async function migrateCommand(options: MigrateCommandOptions): Promise<MigrateCommandResult> {
  const { service, logger } = options;
  let dataSource: DataSource | undefined;
  try {
    dataSource = options.dataSource();
    const schema = dataSourceSchema(dataSource);
    const target = describeTarget(dataSourceUrl(dataSource));
    await connectDataSource(dataSource);
    logger.info({ service, schema, target }, 'running database migrations');
    const run = await runMigrations(dataSource, options);
    if (run.applied.length === 0) {
      logger.info({ service, schema }, 'database schema is up to date; no migrations to apply');
    } else {
      for (const name of run.applied)
        logger.info({ service, schema, migration: name }, `applied migration ${name}`);
      logger.info(
        { service, schema, applied: run.applied.length, lockWaitMs: run.lockWaitMs },
        `applied ${run.applied.length} migration${run.applied.length === 1 ? '' : 's'}`,
      );
    }
    return { ok: true, applied: run.applied };
  } catch (thrown) {
    const error =
      thrown instanceof DatabaseError
        ? thrown
        : new DatabaseError(DatabaseErrorCode.MigrationFailed, `migrate failed: ${errorMessage(thrown)}`, {
            cause: thrown,
          });
    const details: Record<string, unknown> = { service, code: error.code };
    if (error.migration !== undefined) details['migration'] = error.migration;
    if (!selfExplanatory.has(error.code)) {
      const stack = error.cause instanceof Error ? error.cause.stack : error.stack;
      if (stack !== undefined)
        details['stack'] = withoutPassword(stack, dataSource && dataSourceUrl(dataSource));
    }
    logger.error(details, `${service}: ${error.message}`);
    return { ok: false, error };
  } finally {
    if (dataSource) await closeDataSource(dataSource).catch(() => undefined);
  }
}
