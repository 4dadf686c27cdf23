import { createServer } from 'node:net';
import type { DataSource } from 'typeorm';
import { closeDataSource, connectDataSource, createDataSource, quoteIdentifier } from '../data-source';

/** A connection for the test's own bookkeeping: creating and dropping schemas, reading pg_locks. */
export async function openAdmin(url: string): Promise<DataSource> {
  return connectDataSource(createDataSource({ url, migrationsTableName: 'admin_migrations', poolSize: 3 }));
}

/** Drops the test's schemas and closes the admin connection. */
export async function dropSchemas(admin: DataSource, schemas: readonly string[]): Promise<void> {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await closeDataSource(admin);
}

/** True when `schema.table` exists. */
export async function tableExists(admin: DataSource, schema: string, table: string): Promise<boolean> {
  const rows: { found: string | null }[] = await admin.query(`SELECT to_regclass($1)::text AS found`, [
    `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
  ]);
  return rows[0]?.found != null;
}

/** The split of a bigint advisory lock key as pg_locks shows it. */
function lockParts(key: bigint): [string, string] {
  const unsigned = BigInt.asUintN(64, key);
  return [(unsigned >> 32n).toString(), (unsigned & 0xffffffffn).toString()];
}

/** Advisory locks on a key in this database: who holds or waits for them (by application_name). */
export async function advisoryLocks(
  admin: DataSource,
  key: bigint,
): Promise<{ applicationName: string; granted: boolean }[]> {
  const [classid, objid] = lockParts(key);
  return admin.query(
    `SELECT a.application_name AS "applicationName", l.granted
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.objsubid = 1
        AND l.classid::bigint = $1::bigint AND l.objid::bigint = $2::bigint
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [classid, objid],
  );
}

/** Polls until the condition holds (or fails the test after the timeout). */
export async function waitFor(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A local TCP port nobody listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
