import { DataSource, type DataSourceOptions } from 'typeorm';
import { DatabaseError, DatabaseErrorCode, connectionError } from './errors';
import { type DatabaseLogger, ormLogger, silentOrmLogger } from './logger';

/** How a service reaches its PostgreSQL schema. */
export interface DatabaseOptions {
  /** postgres:// URL; may hold a password, which no message of this lib ever repeats. */
  url: string;
  /** Schema that holds the service's tables; created by the migration runner when missing. Default `public`. */
  schema?: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  entities?: DataSourceOptions['entities'];
  /** Migration classes; each app keeps its own in `src/migrations`. */
  migrations?: DataSourceOptions['migrations'];
  /** Table that records applied migrations, one per app: `<app>_migrations`. */
  migrationsTableName: string;
  /** Shown in pg_stat_activity, so an operator can tell the services apart. */
  applicationName?: string;
  /** Receives slow-query warnings and ORM notices; without one the ORM stays silent. */
  logger?: DatabaseLogger;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Queries slower than this are logged as warnings. Default 1 s. */
  slowQueryMs?: number;
}

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/;
const postgresUrlPattern = /^postgres(ql)?:\/\//;

/** Quotes an SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The schema a DataSource works in. */
export function dataSourceSchema(dataSource: DataSource): string {
  const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
  return schema ?? 'public';
}

/** The connection URL of a DataSource, when it was built from one. */
export function dataSourceUrl(dataSource: DataSource): string | undefined {
  return dataSource.options.type === 'postgres' ? dataSource.options.url : undefined;
}

function validate(options: DatabaseOptions, schema: string): void {
  // The URL itself is never echoed: it may carry a password.
  if (!postgresUrlPattern.test(options.url) || !URL.canParse(options.url)) {
    throw new DatabaseError(DatabaseErrorCode.InvalidOptions, 'the database URL must be a postgres:// URL');
  }
  if (!identifierPattern.test(schema)) {
    throw new DatabaseError(
      DatabaseErrorCode.InvalidOptions,
      `schema "${schema}" must be a lower-case SQL identifier (letters, digits, _)`,
    );
  }
  if (!identifierPattern.test(options.migrationsTableName)) {
    throw new DatabaseError(
      DatabaseErrorCode.InvalidOptions,
      `migrations table "${options.migrationsTableName}" must be a lower-case SQL identifier (letters, digits, _)`,
    );
  }
  if (options.poolSize !== undefined && (!Number.isInteger(options.poolSize) || options.poolSize < 1)) {
    throw new DatabaseError(DatabaseErrorCode.InvalidOptions, `pool size must be a positive integer`);
  }
}

/**
 * Builds a PostgreSQL DataSource (not yet connected). The schema never changes behind the migrations' back:
 * no synchronize, no migrations at initialize, no extension installs.
 */
export function createDataSource(options: DatabaseOptions): DataSource {
  const schema = options.schema ?? 'public';
  validate(options, schema);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema,
    poolSize: options.poolSize ?? 10,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: options.migrationsTableName,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
    // Migrations own the DDL; installing extensions at connect needs superuser rights and changes the database.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    applicationName: options.applicationName,
    connectTimeoutMS: options.connectTimeoutMs ?? 10_000,
    maxQueryExecutionTime: options.slowQueryMs ?? 1_000,
    logger: options.logger ? ormLogger(options.logger) : silentOrmLogger,
    extra: {
      // Raw SQL in migrations (CREATE TABLE "x") then lands in the service's schema, not in public.
      options: `-c search_path=${schema === 'public' ? 'public' : `${schema},public`}`,
    },
  });
}

/** Connects a DataSource; failures become a DatabaseError naming host:port and the reason, never the password. */
export async function connectDataSource(dataSource: DataSource): Promise<DataSource> {
  if (dataSource.isInitialized) return dataSource;
  try {
    return await dataSource.initialize();
  } catch (error) {
    throw connectionError(error, dataSourceUrl(dataSource));
  }
}

/** Closes a DataSource's pool if it is open. */
export async function closeDataSource(dataSource: DataSource): Promise<void> {
  if (dataSource.isInitialized) await dataSource.destroy();
}
