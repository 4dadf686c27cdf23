import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import type { PrivateService } from './redis';

/** PGlite in this process, served over the PostgreSQL wire protocol on loopback. */
export interface EmbeddedPostgres extends PrivateService {
  port: number;
}

export interface StartEmbeddedPostgresOptions {
  /** Keep the database in this directory across runs; in memory when omitted. */
  dataDir?: string;
  /** Client connections accepted at once (every service opens a pool). */
  maxConnections?: number;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly) and serves it on 127.0.0.1 at a free port, so `pg` clients
 * connect to `postgres://postgres@127.0.0.1:<port>/postgres`. All connections share one PGlite session:
 * queries run one at a time, a transaction holds the others back until it ends, startup parameters
 * (`options=-c search_path=...`, application_name) are ignored, and session state (`SET search_path`,
 * advisory locks) is shared, so an advisory lock excludes nobody.
 */
export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  let db: PGlite;
  try {
    if (options.dataDir) await mkdir(dirname(resolve(options.dataDir)), { recursive: true });
    db = await PGlite.create({
      ...(options.dataDir ? { dataDir: resolve(options.dataDir) } : {}),
      extensions: { uuid_ossp, pgcrypto },
    });
  } catch (error) {
    const where = options.dataDir ? `with its data in ${options.dataDir}` : 'in memory';
    throw new LocalInfraError(
      LocalInfraErrorCode.PostgresStartFailed,
      `PGlite could not start ${where}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 256,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw new LocalInfraError(
      LocalInfraErrorCode.PostgresStartFailed,
      `PGlite could not listen on 127.0.0.1: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const port = Number(server.getServerConn().split(':').at(-1));
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await db.close();
      })()),
  };
}
