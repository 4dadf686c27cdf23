import { type DynamicModule, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import {
  DATA_SOURCE,
  createDataSource,
  databaseReadinessCheck,
  DatabaseModule,
  type DatabaseOptions,
  migrateCommand,
} from '@vstack/database';
import type { Logger } from '@vstack/observability';
import type { DataSource } from 'typeorm';
import { AlreadyReportedError } from './errors';
import { ReadinessRegistry } from './readiness.registry';

/** The database variables of a service's config (libs/config's postgresVariables). */
export interface PostgresServiceConfig {
  DATABASE_URL: string;
  DATABASE_SCHEMA: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_MIGRATE_ON_START: boolean;
}

/** The records a service owns: its entities and its committed migrations. */
export interface ServiceRecords {
  entities: NonNullable<DatabaseOptions['entities']>;
  migrations: NonNullable<DatabaseOptions['migrations']>;
}

/** The DataSource options of a service: its own migrations table, its schema, its name in pg_stat_activity. */
export function serviceDatabaseOptions(
  service: string,
  config: PostgresServiceConfig,
  records: ServiceRecords,
  logger?: Logger,
): DatabaseOptions {
  return {
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE,
    entities: records.entities,
    migrations: records.migrations,
    migrationsTableName: `${service.replaceAll('-', '_')}_migrations`,
    applicationName: `vstack-${service}`,
    ...(logger ? { logger } : {}),
  };
}

@Injectable()
class DatabaseReadiness implements OnModuleInit {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.add(databaseReadinessCheck(this.dataSource));
  }
}

/** Postgres for a service: the DataSource (migrated at start when configured) and its readiness check. */
@Module({})
export class ServiceDatabaseModule {
  static forService(
    service: string,
    config: PostgresServiceConfig,
    records: ServiceRecords,
    logger?: Logger,
  ): DynamicModule {
    return {
      module: ServiceDatabaseModule,
      imports: [
        DatabaseModule.forRoot({
          ...serviceDatabaseOptions(service, config, records, logger),
          migrateOnStart: config.DATABASE_MIGRATE_ON_START,
        }),
      ],
      providers: [DatabaseReadiness],
    };
  }
}

/** `node main.js migrate` for a service that keeps records: applies its migrations under the advisory lock. */
export async function migrateServiceDatabase(
  service: string,
  config: PostgresServiceConfig,
  records: ServiceRecords,
  logger: Logger,
): Promise<void> {
  const result = await migrateCommand({
    service,
    logger,
    dataSource: () => createDataSource(serviceDatabaseOptions(service, config, records, logger)),
  });
  // migrateCommand has logged the failure; runService only sets the exit code.
  if (!result.ok) throw new AlreadyReportedError(result.error);
}
