import {
  type DynamicModule,
  type FactoryProvider,
  Inject,
  Injectable,
  Module,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { closeDataSource, connectDataSource, createDataSource, type DatabaseOptions } from './data-source';
import { runMigrations } from './migrations';

/** Injection token of the service's DataSource (the DataSource class works as a token too). */
export const DATA_SOURCE = Symbol.for('vstack.database.DataSource');
const DATABASE_MODULE_OPTIONS = Symbol.for('vstack.database.options');

/** Injects the service's DataSource. */
export const InjectDataSource = (): PropertyDecorator & ParameterDecorator => Inject(DATA_SOURCE);

export interface DatabaseModuleOptions extends DatabaseOptions {
  /** Apply pending migrations under the advisory lock before the app starts serving. */
  migrateOnStart?: boolean;
}

export interface DatabaseModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => DatabaseModuleOptions | Promise<DatabaseModuleOptions>;
}

/** Connects (and, if asked, migrates) before any provider that needs the DataSource is built. */
async function openDataSource(options: DatabaseModuleOptions): Promise<DataSource> {
  const dataSource = await connectDataSource(createDataSource(options));
  if (options.migrateOnStart) {
    try {
      const run = await runMigrations(dataSource);
      if (run.applied.length > 0) {
        options.logger?.info(
          { applied: run.applied, lockWaitMs: run.lockWaitMs },
          'applied database migrations',
        );
      }
    } catch (error) {
      await closeDataSource(dataSource);
      throw error;
    }
  }
  return dataSource;
}

@Injectable()
class DataSourceLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  // After every module's onModuleDestroy, so nothing still needs a connection.
  async onApplicationShutdown(): Promise<void> {
    await closeDataSource(this.dataSource);
  }
}

function moduleFor(optionsProvider: Provider, imports: ModuleMetadata['imports'] = []): DynamicModule {
  return {
    module: DatabaseModule,
    global: true,
    imports,
    providers: [
      optionsProvider,
      { provide: DATA_SOURCE, useFactory: openDataSource, inject: [DATABASE_MODULE_OPTIONS] },
      { provide: DataSource, useExisting: DATA_SOURCE },
      DataSourceLifecycle,
    ],
    exports: [DATA_SOURCE, DataSource],
  };
}

/** Provides one connected DataSource to the whole app, closed on shutdown. */
@Module({})
export class DatabaseModule {
  /** Registers the DataSource from options known up front. */
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return moduleFor({ provide: DATABASE_MODULE_OPTIONS, useValue: options });
  }

  /** Registers the DataSource from options built by a factory (usually from the app's config). */
  static forRootAsync(options: DatabaseModuleAsyncOptions): DynamicModule {
    return moduleFor(
      {
        provide: DATABASE_MODULE_OPTIONS,
        useFactory: options.useFactory as (
          ...args: unknown[]
        ) => DatabaseModuleOptions | Promise<DatabaseModuleOptions>,
        inject: options.inject ?? [],
      },
      options.imports,
    );
  }
}
