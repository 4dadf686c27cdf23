import { uniqueTestName } from '@vstack/testing';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeDataSource, connectDataSource, createDataSource, type DatabaseOptions } from './data-source';
import { DatabaseError, DatabaseErrorCode } from './errors';
import { migrationLockKey, pendingMigrations, runMigrations } from './migrations';
import { FixtureAccount } from './testing-fixtures/fixture-account.entity';
import {
  AddFixtureAccountLabel1735776000000,
  BrokenFixtureAudit1735862400000,
  CreateFixtureAccount1735689600000,
  FixedFixtureAudit1735862400001,
  gatedMigration,
} from './testing-fixtures/migrations';
import { advisoryLocks, dropSchemas, openAdmin, tableExists, waitFor } from './testing-fixtures/postgres';

const url = inject('databaseUrl');
const fileSchema = uniqueTestName('database migrations');
const migrationsTableName = 'fixture_migrations';
const baseMigrations = [CreateFixtureAccount1735689600000, AddFixtureAccountLabel1735776000000];
const baseNames = ['CreateFixtureAccount1735689600000', 'AddFixtureAccountLabel1735776000000'];

let admin: DataSource;
const schemas: string[] = [];
const opened: DataSource[] = [];

/** A schema of this file's own, one per test, so each test starts from an empty database. */
function schemaFor(test: string): string {
  const schema = `${fileSchema}_${test}`;
  schemas.push(schema);
  return schema;
}

async function open(schema: string, options: Partial<DatabaseOptions> = {}): Promise<DataSource> {
  const dataSource = createDataSource({
    url,
    schema,
    migrationsTableName,
    migrations: baseMigrations,
    entities: [FixtureAccount],
    poolSize: 2,
    ...options,
  });
  opened.push(dataSource);
  return connectDataSource(dataSource);
}

async function appliedNames(schema: string): Promise<string[]> {
  const rows: { name: string }[] = await admin.query(
    `SELECT name FROM "${schema}"."${migrationsTableName}" ORDER BY id`,
  );
  return rows.map((row) => row.name);
}

beforeAll(async () => {
  admin = await openAdmin(url);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((dataSource) => closeDataSource(dataSource)));
});

afterAll(async () => {
  await dropSchemas(admin, schemas);
});

describe('runMigrations', () => {
  it('creates the schema, applies pending migrations once, and applies nothing the second time', async () => {
    const schema = schemaFor('once');
    const dataSource = await open(schema);
    expect(await pendingMigrations(dataSource)).toEqual(baseNames);

    const first = await runMigrations(dataSource);
    expect(first.applied).toEqual(baseNames);
    expect(await appliedNames(schema)).toEqual(baseNames);
    expect(await pendingMigrations(dataSource)).toEqual([]);

    const second = await runMigrations(dataSource);
    expect(second.applied).toEqual([]);
    expect(await appliedNames(schema)).toEqual(baseNames);

    // The tables are in the service's schema and usable through the entity.
    await dataSource
      .getRepository(FixtureAccount)
      .insert({ hotkey: '5F', stake: 1n, balance: null, score: 0.5, label: 'a' });
    expect(await tableExists(admin, schema, 'fixture_account')).toBe(true);
    expect(await tableExists(admin, 'public', 'fixture_account')).toBe(false);
  });

  it('lets two runners start together: the second waits on the lock and then finds nothing to apply', async () => {
    const schema = schemaFor('race');
    const gateKey = migrationLockKey(schema, 'gate');
    const migrationKey = migrationLockKey(schema, migrationsTableName);
    const migrations = [...baseMigrations, gatedMigration(gateKey)];
    const first = await open(schema, { migrations, applicationName: 'fixture-runner-a' });
    const second = await open(schema, { migrations, applicationName: 'fixture-runner-b' });

    // The test holds the gate, so runner A keeps the migration lock until the test lets it go.
    const gate = admin.createQueryRunner();
    await gate.connect();
    await gate.query('SELECT pg_advisory_lock($1::bigint)', [gateKey.toString()]);
    try {
      const runA = runMigrations(first);
      await waitFor(
        async () =>
          (await advisoryLocks(admin, gateKey)).some((lock) => lock.applicationName === 'fixture-runner-a'),
        'runner A to reach the gated migration',
      );
      const runB = runMigrations(second);
      await waitFor(async () => {
        const locks = await advisoryLocks(admin, migrationKey);
        return locks.some((lock) => lock.applicationName === 'fixture-runner-b' && !lock.granted);
      }, 'runner B to wait on the migration lock');
      expect(await advisoryLocks(admin, migrationKey)).toEqual(
        expect.arrayContaining([{ applicationName: 'fixture-runner-a', granted: true }]),
      );

      await gate.query('SELECT pg_advisory_unlock($1::bigint)', [gateKey.toString()]);
      const [resultA, resultB] = await Promise.all([runA, runB]);

      expect(resultA.applied).toEqual([...baseNames, 'GatedFixtureStep1735948800000']);
      expect(resultB.applied).toEqual([]);
      expect(resultB.lockWaitMs).toBeGreaterThan(0);
      expect(await appliedNames(schema)).toEqual([...baseNames, 'GatedFixtureStep1735948800000']);
      expect(await tableExists(admin, schema, 'fixture_gate_passed')).toBe(true);
      expect(await advisoryLocks(admin, migrationKey)).toEqual([]);
    } finally {
      await gate.release();
    }
  });

  it('rolls back a failing migration, throws MigrationFailed, and releases the lock', async () => {
    const schema = schemaFor('broken');
    const broken = await open(schema, { migrations: [...baseMigrations, BrokenFixtureAudit1735862400000] });

    const failure = await runMigrations(broken).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DatabaseError);
    expect(failure).toMatchObject({
      code: DatabaseErrorCode.MigrationFailed,
      migration: 'BrokenFixtureAudit1735862400000',
    });
    expect((failure as DatabaseError).message).toMatch(
      /migration BrokenFixtureAudit1735862400000 failed and was rolled back: .*invalid input syntax/,
    );
    expect((failure as DatabaseError).cause).toBeInstanceOf(Error);

    // The migrations before it stay applied; the broken one left no table behind and no record.
    expect(await appliedNames(schema)).toEqual(baseNames);
    expect(await tableExists(admin, schema, 'fixture_audit')).toBe(false);
    expect(await advisoryLocks(admin, migrationLockKey(schema, migrationsTableName))).toEqual([]);

    // Another instance with the fixed migration can take the lock and finish the job.
    const fixed = await open(schema, { migrations: [...baseMigrations, FixedFixtureAudit1735862400001] });
    const run = await runMigrations(fixed, { lockTimeoutMs: 5_000 });
    expect(run.applied).toEqual(['FixedFixtureAudit1735862400001']);
    expect(await tableExists(admin, schema, 'fixture_audit')).toBe(true);
  });

  it('gives up with LockTimeout when another instance keeps the lock too long', async () => {
    const schema = schemaFor('timeout');
    const key = migrationLockKey(schema, migrationsTableName);
    const dataSource = await open(schema);
    const holder = admin.createQueryRunner();
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [key.toString()]);
    try {
      await expect(runMigrations(dataSource, { lockTimeoutMs: 200 })).rejects.toMatchObject({
        code: DatabaseErrorCode.LockTimeout,
      });
      expect(await tableExists(admin, schema, 'fixture_account')).toBe(false);
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
      await holder.release();
    }
    // The timeout applied to the wait only: the next run on the same pool migrates normally.
    expect((await runMigrations(dataSource)).applied).toEqual(baseNames);
  });

  it('works with a pool of one connection', async () => {
    const schema = schemaFor('pool_one');
    const dataSource = await open(schema, { poolSize: 1 });
    expect((await runMigrations(dataSource)).applied).toEqual(baseNames);
  });

  it('refuses a DataSource that is not connected', async () => {
    const dataSource = createDataSource({ url, schema: schemaFor('unconnected'), migrationsTableName });
    await expect(runMigrations(dataSource)).rejects.toMatchObject({ code: DatabaseErrorCode.NotInitialized });
    await expect(pendingMigrations(dataSource)).rejects.toMatchObject({
      code: DatabaseErrorCode.NotInitialized,
    });
  });
});

describe('migrationLockKey', () => {
  it('is stable for one app and schema and differs between apps and schemas', () => {
    expect(migrationLockKey('public', 'gateway_migrations')).toBe(
      migrationLockKey('public', 'gateway_migrations'),
    );
    expect(migrationLockKey('public', 'gateway_migrations')).not.toBe(
      migrationLockKey('public', 'scoring_migrations'),
    );
    expect(migrationLockKey('public', 'gateway_migrations')).not.toBe(
      migrationLockKey('staging', 'gateway_migrations'),
    );
    const key = migrationLockKey('public', 'gateway_migrations');
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});
