import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from './net';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './postgres';

describe('startEmbeddedPostgres', () => {
  let postgres: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
    pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
  }, 60_000);

  afterAll(async () => {
    await pool.end();
    await postgres.stop();
  });

  it('serves several concurrent clients with parameterised queries', async () => {
    expect(postgres.url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/postgres`);
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        i % 2
          ? pool.query<{ value: number }>('SELECT $1::int AS value', [i])
          : pool.query<{ value: number }>('SELECT $1::int + $2::int AS value', [i, 0]),
      ),
    );
    expect(results.map((result) => result.rows[0]?.value)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(pool.totalCount).toBe(8);
  });

  it('keeps concurrent transactions apart', async () => {
    await pool.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('INSERT INTO counter VALUES (1, 0)');
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query<{ n: number }>('SELECT n FROM counter WHERE id = 1 FOR UPDATE');
          await new Promise((done) => setTimeout(done, 2));
          await client.query('UPDATE counter SET n = $1 WHERE id = 1', [(rows[0]?.n ?? 0) + 1]);
          await client.query(i % 4 === 0 ? 'ROLLBACK' : 'COMMIT');
        } finally {
          client.release();
        }
      }),
    );
    const { rows } = await pool.query<{ n: number }>('SELECT n FROM counter');
    expect(rows[0]?.n).toBe(9);
  });

  it('takes and releases advisory locks', async () => {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(4242)');
      const { rows } = await client.query<{ unlocked: boolean }>(
        'SELECT pg_advisory_unlock(4242) AS unlocked',
      );
      expect(rows[0]?.unlocked).toBe(true);
    } finally {
      client.release();
    }
  });

  it('creates schemas and honours a search_path', async () => {
    await pool.query('CREATE SCHEMA app_one');
    const client = await pool.connect();
    try {
      await client.query('SET search_path TO app_one');
      await client.query('CREATE TABLE migrations (name text PRIMARY KEY)');
      const { rows } = await client.query<{ schema: string }>(
        "SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'migrations'",
      );
      expect(rows).toEqual([{ schema: 'app_one' }]);
      await client.query('RESET search_path');
    } finally {
      client.release();
    }
  });

  it('shares one session between connections: startup options and advisory locks are not per connection', async () => {
    const first = new pg.Client({ connectionString: postgres.url, options: '-c search_path=alpha,public' });
    const second = new pg.Client({ connectionString: postgres.url });
    await first.connect();
    await second.connect();
    try {
      expect((await first.query<{ search_path: string }>('SHOW search_path')).rows[0]?.search_path).toBe(
        'public',
      );
      const locked = async (client: pg.Client) =>
        (await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock(77) AS got')).rows[0]?.got;
      expect(await locked(first)).toBe(true);
      expect(await locked(second)).toBe(true);
      await first.query('SELECT pg_advisory_unlock_all()');
    } finally {
      await first.end();
      await second.end();
    }
  });

  it('has the uuid functions the entities use', async () => {
    await pool.query('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"');
    const { rows } = await pool.query<{ a: string; b: string }>(
      'SELECT uuid_generate_v4() AS a, gen_random_uuid() AS b',
    );
    expect(rows[0]?.a).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[0]?.b).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('startEmbeddedPostgres lifecycle', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-infra-pglite-spec-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('frees its port on stop, closing open connections', async () => {
    const postgres = await startEmbeddedPostgres();
    const client = new pg.Client({ connectionString: postgres.url });
    client.on('error', () => undefined);
    await client.connect();
    expect(await isPortFree(postgres.port)).toBe(false);
    await postgres.stop();
    expect(await isPortFree(postgres.port)).toBe(true);
    await client.end().catch(() => undefined);
  }, 60_000);

  it('keeps the data across restarts when given a data directory', async () => {
    const first = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
    const writer = new pg.Client({ connectionString: first.url });
    await writer.connect();
    await writer.query("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')");
    await writer.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
    const reader = new pg.Client({ connectionString: second.url });
    await reader.connect();
    const { rows } = await reader.query<{ note: string }>('SELECT note FROM kept');
    await reader.end();
    await second.stop();
    expect(rows).toEqual([{ note: 'still here' }]);
  }, 60_000);
});
