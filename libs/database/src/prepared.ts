import type { DataSource } from 'typeorm';

interface PgPool {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs `text` as the named prepared statement `name` on the DataSource's own pool (its connections, search_path and
 * limits): PostgreSQL parses and plans it once per connection instead of on every call, and the client sends only
 * the parameters after the first time. For statements on a hot path. Behind PgBouncer in transaction mode this
 * needs PgBouncer 1.21 or later with max_prepared_statements set. Errors are the driver's (with its SQL state in
 * `code`), not TypeORM's.
 */
export async function queryPrepared<T>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: readonly unknown[],
): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) throw new Error(`the DataSource is not connected, so statement ${name} cannot run`);
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}
