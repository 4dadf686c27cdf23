import { uniqueTestName } from '@vstack/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeDataSource, connectDataSource, createDataSource } from './data-source';
import { runMigrations } from './migrations';
import { queryPrepared } from './prepared';
import { CreateFixtureAccount1735689600000 } from './testing-fixtures/migrations';
import { dropSchemas, openAdmin } from './testing-fixtures/postgres';

const url = inject('databaseUrl');
const schema = uniqueTestName('database prepared');
let admin: DataSource;
let dataSource: DataSource;

beforeAll(async () => {
  admin = await openAdmin(url);
  dataSource = createDataSource({
    url,
    schema,
    poolSize: 1,
    migrationsTableName: 'fixture_migrations',
    migrations: [CreateFixtureAccount1735689600000],
  });
  await connectDataSource(dataSource);
  await runMigrations(dataSource);
});

afterAll(async () => {
  await closeDataSource(dataSource);
  await dropSchemas(admin, [schema]);
});

describe('queryPrepared', () => {
  it("runs a named statement in the DataSource's schema, prepared once per connection", async () => {
    const statement = 'SELECT count(*)::int AS n, $1::text AS echo FROM fixture_account';
    for (const echo of ['a', 'b', 'c']) {
      expect(await queryPrepared(dataSource, 'fixture_count', statement, [echo])).toEqual([{ n: 0, echo }]);
    }
    const prepared = await queryPrepared<{ name: string }>(
      dataSource,
      'fixture_prepared',
      'SELECT name FROM pg_prepared_statements ORDER BY name',
      [],
    );
    expect(prepared.map((row) => row.name)).toEqual(['fixture_count', 'fixture_prepared']);
  });

  it("gives the driver's error, with its SQL state", async () => {
    await expect(
      queryPrepared(dataSource, 'fixture_missing', 'SELECT * FROM no_such_table', []),
    ).rejects.toMatchObject({
      code: '42P01',
    });
  });

  it('says so when the DataSource is not connected', async () => {
    const closed = createDataSource({ url, schema, migrationsTableName: 'fixture_migrations' });
    await expect(queryPrepared(closed, 'fixture_closed', 'SELECT 1', [])).rejects.toThrow('not connected');
  });
});
