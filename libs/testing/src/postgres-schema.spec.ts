import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestSchema } from './postgres-schema';

describe('createTestSchema', () => {
  const databaseUrl = inject('databaseUrl');
  const client = new pg.Client({ connectionString: databaseUrl });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  const schemaExists = async (schema: string) =>
    (await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]))
      .rowCount === 1;

  it('creates a schema of its own and drops it with its tables', async () => {
    const testSchema = await createTestSchema(databaseUrl, 'Schema Helper');
    expect(testSchema.schema).toMatch(/^t_schema_helper_[0-9a-f]{8}$/);
    expect(await schemaExists(testSchema.schema)).toBe(true);
    await client.query(`CREATE TABLE ${pg.escapeIdentifier(testSchema.schema)}.note (body text)`);

    await testSchema.drop();
    expect(await schemaExists(testSchema.schema)).toBe(false);
  });

  it('gives each test file a different schema', async () => {
    const first = await createTestSchema(databaseUrl, 'same');
    const second = await createTestSchema(databaseUrl, 'same');
    try {
      expect(first.schema).not.toBe(second.schema);
    } finally {
      await first.drop();
      await second.drop();
    }
  });
});
