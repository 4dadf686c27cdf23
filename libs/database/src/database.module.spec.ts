import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { uniqueTestName } from '@vstack/testing';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDataSource } from './data-source';
import { DATA_SOURCE, DatabaseModule, InjectDataSource } from './database.module';
import { DatabaseErrorCode } from './errors';
import { checkDatabase, databaseReadinessCheck } from './readiness';
import { FixtureAccount } from './testing-fixtures/fixture-account.entity';
import {
  AddFixtureAccountLabel1735776000000,
  CreateFixtureAccount1735689600000,
} from './testing-fixtures/migrations';
import { closedPort, dropSchemas, openAdmin, tableExists } from './testing-fixtures/postgres';

const url = inject('databaseUrl');
const schema = uniqueTestName('database module');
let admin: DataSource;

const CONFIG = Symbol('config');

@Module({ providers: [{ provide: CONFIG, useValue: { url, schema } }], exports: [CONFIG] })
class ConfigFixtureModule {}

@Injectable()
class AccountsFixtureService {
  constructor(
    readonly dataSource: DataSource,
    @InjectDataSource() readonly byToken: DataSource,
  ) {}

  count(): Promise<number> {
    return this.dataSource.getRepository(FixtureAccount).count();
  }
}

beforeAll(async () => {
  admin = await openAdmin(url);
});

afterAll(async () => {
  await dropSchemas(admin, [schema]);
});

describe('DatabaseModule', () => {
  it('connects and migrates on start, serves one DataSource, and closes it on shutdown', async () => {
    @Module({
      imports: [
        DatabaseModule.forRootAsync({
          imports: [ConfigFixtureModule],
          inject: [CONFIG],
          useFactory: (config: { url: string; schema: string }) => ({
            url: config.url,
            schema: config.schema,
            migrationsTableName: 'fixture_migrations',
            migrations: [CreateFixtureAccount1735689600000, AddFixtureAccountLabel1735776000000],
            entities: [FixtureAccount],
            migrateOnStart: true,
          }),
        }),
      ],
      providers: [AccountsFixtureService],
    })
    class AppFixtureModule {}

    const app = await NestFactory.createApplicationContext(AppFixtureModule, { logger: false });
    const service = app.get(AccountsFixtureService);
    const dataSource = app.get<DataSource>(DATA_SOURCE);
    expect(service.dataSource).toBe(dataSource);
    expect(service.byToken).toBe(dataSource);
    expect(dataSource.isInitialized).toBe(true);
    expect(await tableExists(admin, schema, 'fixture_account')).toBe(true);
    expect(await service.count()).toBe(0);
    expect(await databaseReadinessCheck(dataSource).check()).toEqual({ ok: true });

    await app.close();
    expect(dataSource.isInitialized).toBe(false);
    expect(await checkDatabase(dataSource)).toEqual({ ok: false, detail: 'not connected' });
  });

  it('fails start-up with a DatabaseError when PostgreSQL cannot be reached', async () => {
    const port = await closedPort();
    @Module({
      imports: [
        DatabaseModule.forRoot({
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          migrationsTableName: 'fixture_migrations',
          connectTimeoutMs: 2_000,
        }),
      ],
    })
    class UnreachableFixtureModule {}

    await expect(
      NestFactory.createApplicationContext(UnreachableFixtureModule, { logger: false, abortOnError: false }),
    ).rejects.toMatchObject({ code: DatabaseErrorCode.Unreachable });
  });
});

describe('checkDatabase', () => {
  it('answers not ready within the timeout when no connection is free', async () => {
    const dataSource = createDataSource({
      url,
      schema,
      migrationsTableName: 'fixture_migrations',
      poolSize: 1,
    });
    await dataSource.initialize();
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      const started = performance.now();
      expect(await checkDatabase(dataSource, 150)).toEqual({
        ok: false,
        detail: 'no answer to SELECT 1 within 150 ms',
      });
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await holder.release();
    }
    expect(await checkDatabase(dataSource)).toEqual({ ok: true });
    await dataSource.destroy();
  });
});
