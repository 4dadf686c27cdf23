import { createHash } from 'node:crypto';
import { type DataSource, type Migration, MigrationExecutor, type QueryRunner } from 'typeorm';
import { dataSourceSchema, dataSourceUrl, quoteIdentifier } from './data-source';
import { DatabaseError, DatabaseErrorCode, connectionError, errorMessage, sqlState } from './errors';

export interface RunMigrationsOptions {
  /** Advisory lock key; by default derived from the schema and the migrations table. */
  lockKey?: bigint;
  /** Give up waiting for another instance's lock after this long; by default wait as long as it takes. */
  lockTimeoutMs?: number;
}

/** What one run of the migration runner did. */
export interface MigrationRun {
  /** Names of the migrations this run applied, in order; empty when the schema was up to date. */
  applied: string[];
  /** Time spent waiting for another instance to finish migrating. */
  lockWaitMs: number;
}

/** A stable signed 64-bit advisory lock key for one app's migrations in one schema. */
export function migrationLockKey(schema: string, migrationsTableName: string): bigint {
  const digest = createHash('sha256').update(`vstack:migrations:${schema}.${migrationsTableName}`).digest();
  return digest.readBigInt64BE(0);
}

function migrationsTableName(dataSource: DataSource): string {
  return dataSource.options.migrationsTableName ?? 'migrations';
}

function assertInitialized(dataSource: DataSource): void {
  if (!dataSource.isInitialized) {
    throw new DatabaseError(
      DatabaseErrorCode.NotInitialized,
      'the DataSource is not connected; connect it first',
    );
  }
}

function queryFailed(what: string, error: unknown): DatabaseError {
  return new DatabaseError(DatabaseErrorCode.QueryFailed, `${what} failed: ${errorMessage(error)}`, {
    cause: error,
  });
}

async function query(
  runner: QueryRunner,
  sql: string,
  parameters: unknown[],
  what: string,
): Promise<unknown> {
  try {
    return (await runner.query(sql, parameters)) as unknown;
  } catch (error) {
    throw queryFailed(what, error);
  }
}

async function createSchema(runner: QueryRunner, schema: string): Promise<void> {
  try {
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  } catch (error) {
    // Another app creating the same schema at the same moment (a different lock key) wins the race; that is fine.
    const state = sqlState(error);
    if (state === '23505' || state === '42P06') return;
    throw queryFailed(`creating schema "${schema}"`, error);
  }
}

async function acquireLock(runner: QueryRunner, key: bigint, timeoutMs: number | undefined): Promise<void> {
  if (timeoutMs === undefined) {
    await query(runner, 'SELECT pg_advisory_lock($1::bigint)', [key.toString()], 'taking the migration lock');
    return;
  }
  // lock_timeout bounds advisory lock waits too; it is reset before any migration runs on this connection.
  await query(
    runner,
    `SELECT set_config('lock_timeout', $1, false)`,
    [`${timeoutMs}ms`],
    'setting lock_timeout',
  );
  try {
    await runner.query('SELECT pg_advisory_lock($1::bigint)', [key.toString()]);
  } catch (error) {
    if (sqlState(error) === '55P03') {
      throw new DatabaseError(
        DatabaseErrorCode.LockTimeout,
        `another instance held the migration lock for more than ${timeoutMs} ms`,
        { cause: error },
      );
    }
    throw queryFailed('taking the migration lock', error);
  } finally {
    await runner.query('RESET lock_timeout').catch(() => undefined);
  }
}

async function executedNames(executor: MigrationExecutor): Promise<Set<string>> {
  const executed = await executor.getExecutedMigrations();
  return new Set(executed.map((migration) => migration.name));
}

/**
 * Applies pending migrations, each in its own transaction, while holding a Postgres advisory lock so that
 * replicas starting together apply them once. Creates the schema when missing.
 */
export async function runMigrations(
  dataSource: DataSource,
  options: RunMigrationsOptions = {},
): Promise<MigrationRun> {
  assertInitialized(dataSource);
  const schema = dataSourceSchema(dataSource);
  const key = options.lockKey ?? migrationLockKey(schema, migrationsTableName(dataSource));
  // Session-level advisory locks belong to one connection, so the lock and the migrations share this runner;
  // it also means the runner never needs a second pooled connection (pool size 1 works).
  const runner = dataSource.createQueryRunner('master');
  let locked = false;
  try {
    try {
      await runner.connect();
    } catch (error) {
      throw connectionError(error, dataSourceUrl(dataSource));
    }
    const started = performance.now();
    await acquireLock(runner, key, options.lockTimeoutMs);
    locked = true;
    const lockWaitMs = Math.round(performance.now() - started);

    await createSchema(runner, schema);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const pending = await executor.getPendingMigrations();
    try {
      const applied = await executor.executePendingMigrations();
      return { applied: applied.map((migration) => migration.name), lockWaitMs };
    } catch (error) {
      throw await migrationFailure(executor, pending, error);
    }
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    throw queryFailed('running migrations', error);
  } finally {
    if (locked) {
      // If unlocking fails the session is most likely gone, and a closed session holds no locks.
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]).catch(() => undefined);
    }
    await runner.release();
  }
}

/** Names the migration that failed: the first pending one that is still not recorded as applied. */
async function migrationFailure(
  executor: MigrationExecutor,
  pending: Migration[],
  error: unknown,
): Promise<DatabaseError> {
  const done = await executedNames(executor).catch(() => new Set<string>());
  const failed = pending.find((migration) => !done.has(migration.name));
  if (!failed) {
    return new DatabaseError(DatabaseErrorCode.MigrationFailed, `migrations failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const outcome =
    failed.instance?.transaction === false
      ? 'ran outside a transaction; check the schema'
      : 'was rolled back';
  return new DatabaseError(
    DatabaseErrorCode.MigrationFailed,
    `migration ${failed.name} failed and ${outcome}: ${errorMessage(error)}`,
    { cause: error, migration: failed.name },
  );
}

/** Names of the migrations that are known to the DataSource but not yet applied to its schema. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  assertInitialized(dataSource);
  try {
    const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
    return pending.map((migration) => migration.name);
  } catch (error) {
    throw queryFailed('reading applied migrations', error);
  }
}
