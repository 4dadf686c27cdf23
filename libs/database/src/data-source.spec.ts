import { uniqueTestName } from '@vstack/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeDataSource, connectDataSource, createDataSource } from './data-source';
import { DatabaseError, DatabaseErrorCode, connectionError } from './errors';
import { runMigrations } from './migrations';
import { CreateFixtureAccount1735689600000 } from './testing-fixtures/migrations';
import { closedPort, dropSchemas, openAdmin, tableExists } from './testing-fixtures/postgres';

const url = inject('databaseUrl');
const schema = uniqueTestName('database data source');
const password = 'pw-never-printed-7f3a';
let admin: DataSource;

/** The same server reached with a password in the URL (trust auth ignores it; messages must not show it). */
function urlWithPassword(base: string, changes: { port?: number; database?: string } = {}): string {
  const parsed = new URL(base);
  parsed.password = password;
  if (changes.port !== undefined) parsed.port = String(changes.port);
  if (changes.database !== undefined) parsed.pathname = `/${changes.database}`;
  return parsed.toString();
}

beforeAll(async () => {
  admin = await openAdmin(url);
});

afterAll(async () => {
  await dropSchemas(admin, [schema]);
});

describe('createDataSource', () => {
  it('never lets the ORM change the schema by itself', () => {
    const dataSource = createDataSource({ url, schema, migrationsTableName: 'fixture_migrations' });
    expect(dataSource.options).toMatchObject({
      type: 'postgres',
      schema,
      synchronize: false,
      migrationsRun: false,
      migrationsTableName: 'fixture_migrations',
      poolSize: 10,
    });
  });

  it('refuses a URL that is not postgres:// without repeating it', () => {
    const bad = `mysql://root:${password}@db/app`;
    expect(() => createDataSource({ url: bad, migrationsTableName: 'fixture_migrations' })).toThrow(
      expect.objectContaining({
        code: DatabaseErrorCode.InvalidOptions,
        message: expect.not.stringContaining(password),
      }),
    );
  });

  it('refuses schema and table names that are not plain SQL identifiers', () => {
    expect(() =>
      createDataSource({ url, schema: 'Public; DROP', migrationsTableName: 'x_migrations' }),
    ).toThrow(DatabaseError);
    expect(() => createDataSource({ url, migrationsTableName: 'bad-name' })).toThrow(
      /migrations table "bad-name"/,
    );
  });

  it('puts raw SQL of migrations into the configured schema', async () => {
    const dataSource = createDataSource({
      url,
      schema,
      migrationsTableName: 'fixture_migrations',
      migrations: [CreateFixtureAccount1735689600000],
    });
    try {
      await connectDataSource(dataSource);
      await runMigrations(dataSource);
      expect(await tableExists(admin, schema, 'fixture_account')).toBe(true);
      expect(await tableExists(admin, 'public', 'fixture_account')).toBe(false);
      expect(await tableExists(admin, schema, 'fixture_migrations')).toBe(true);
    } finally {
      await closeDataSource(dataSource);
    }
  });
});

describe('connectDataSource', () => {
  it('reports a closed port as Unreachable with host and port, and no password', async () => {
    const port = await closedPort();
    const dataSource = createDataSource({
      url: urlWithPassword('postgres://postgres@127.0.0.1:5432/postgres', { port }),
      migrationsTableName: 'fixture_migrations',
      connectTimeoutMs: 2_000,
    });
    const error = await connectDataSource(dataSource).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: DatabaseErrorCode.Unreachable });
    expect((error as DatabaseError).message).toBe(
      `cannot reach PostgreSQL at 127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect((error as DatabaseError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(String((error as DatabaseError).stack)).not.toContain(password);
    expect(dataSource.isInitialized).toBe(false);
  });

  it('reports a database that does not exist as ConnectionRejected, without the password', async () => {
    const dataSource = createDataSource({
      url: urlWithPassword(url, { database: `${schema}_missing` }),
      migrationsTableName: 'fixture_migrations',
    });
    const error = await connectDataSource(dataSource).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: DatabaseErrorCode.ConnectionRejected });
    expect((error as DatabaseError).message).toMatch(
      /^PostgreSQL at .+:\d+ rejected the connection: .*does not exist/,
    );
    expect((error as DatabaseError).message).not.toContain(password);
  });
});

describe('connectionError', () => {
  const target = `postgres://app:${password}@db.internal:6543/app`;

  it('treats refused and unresolvable hosts, inside an AggregateError too, as Unreachable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:6543'), { code: 'ECONNREFUSED' });
    const aggregate = new AggregateError([refused], 'all attempts failed');
    expect(connectionError(aggregate, target).message).toBe(
      'cannot reach PostgreSQL at db.internal:6543 (ECONNREFUSED)',
    );
    const unknownHost = Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' });
    expect(connectionError(unknownHost, target).code).toBe(DatabaseErrorCode.Unreachable);
    const timeout = new Error('Connection terminated due to connection timeout');
    expect(connectionError(timeout, target).message).toBe(
      'cannot reach PostgreSQL at db.internal:6543 (ETIMEDOUT)',
    );
  });

  it('treats authentication failures as ConnectionRejected and hides a password a driver might echo', () => {
    const denied = Object.assign(new Error(`password authentication failed (tried "${password}")`), {
      code: '28P01',
    });
    const error = connectionError(denied, target);
    expect(error.code).toBe(DatabaseErrorCode.ConnectionRejected);
    expect(error.message).toBe(
      'PostgreSQL at db.internal:6543 rejected the connection: password authentication failed (tried "***")',
    );
    expect(error.cause).toBe(denied);
  });
});
