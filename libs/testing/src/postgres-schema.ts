import pg from 'pg';
import { uniqueTestName } from './isolation';

/** A Postgres schema that belongs to one test file. */
export interface TestSchema {
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

async function withClient<T>(databaseUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh schema named after `label` for one test file; `drop()` removes it with its tables. */
export async function createTestSchema(databaseUrl: string, label: string): Promise<TestSchema> {
  const schema = uniqueTestName(label);
  const quoted = pg.escapeIdentifier(schema);
  await withClient(databaseUrl, (client) => client.query(`CREATE SCHEMA ${quoted}`));
  return {
    schema,
    drop: async () => {
      await withClient(databaseUrl, (client) => client.query(`DROP SCHEMA IF EXISTS ${quoted} CASCADE`));
    },
  };
}
