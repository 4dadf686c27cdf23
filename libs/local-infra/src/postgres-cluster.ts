import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { freePort } from './net';
import { describeExit, OutputTail, processEnded } from './process';
import { type RestartableService, superviseServer } from './restartable';

const execFileAsync = promisify(execFile);

/**
 * A PostgreSQL server (postmaster) child process owned by this process. `restart` stops it (SIGKILL of the postmaster
 * when `crash`, and the next start recovers from the WAL; else SIGINT, a fast shutdown) and starts it on the same port
 * and data directory.
 */
export type PrivatePostgres = RestartableService;

export interface StartPrivatePostgresOptions {
  /** Parent of the temporary directory that holds the cluster (default: the OS temp dir). */
  dir?: string;
  /** How long initdb, and each start (crash recovery included), may take. */
  startTimeoutMs?: number;
  /** The server's max_connections (default 200): every service opens a pool. */
  maxConnections?: number;
}

export interface LocatePostgresBinOptions {
  /** The pg_config to ask for `--bindir` (default: `pg_config` on PATH). */
  pgConfig?: string;
  /** Where Debian installs one bin directory per major version (default /usr/lib/postgresql). */
  versionsDir?: string;
}

const serverPrograms = ['initdb', 'postgres'] as const;
const installHint =
  'Install them (Debian/Ubuntu: `sudo apt-get install postgresql`) or put the pg_config of an installed server on PATH.';

function missingPrograms(bin: string): string[] {
  return serverPrograms.filter((program) => {
    try {
      accessSync(join(bin, program), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

/** Where PostgreSQL's server programs are: `pg_config --bindir`, else the newest /usr/lib/postgresql/<n>/bin. */
export async function locatePostgresBin(options: LocatePostgresBinOptions = {}): Promise<string> {
  const pgConfig = options.pgConfig ?? 'pg_config';
  const versionsDir = options.versionsDir ?? '/usr/lib/postgresql';
  const notes: string[] = [];
  let bindir: string | undefined;
  try {
    bindir = (await execFileAsync(pgConfig, ['--bindir'], { encoding: 'utf8' })).stdout.trim();
  } catch {
    notes.push(`${pgConfig} could not be run`);
  }
  if (bindir) {
    const missing = missingPrograms(bindir);
    if (missing.length === 0) return bindir;
    notes.push(`\`${pgConfig} --bindir\` gives ${bindir}, which has no ${missing.join(' and no ')}`);
  }
  const versions = (await readdir(versionsDir).catch(() => [] as string[]))
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(versionsDir, version, 'bin');
    if (missingPrograms(bin).length === 0) return bin;
  }
  notes.push(
    versions.length > 0
      ? `no ${versionsDir}/<version>/bin (of ${versions.join(', ')}) has both initdb and postgres`
      : `${versionsDir} holds no PostgreSQL version`,
  );
  throw new LocalInfraError(
    LocalInfraErrorCode.PostgresNotInstalled,
    `PostgreSQL's server programs (initdb, postgres) were not found: ${notes.join('; ')}. ${installHint}`,
  );
}

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The `postgres` OS user when this process is root (initdb and postgres refuse to run as root), else none. */
async function serverUser(): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = 'postgres';
  try {
    const uid = Number((await execFileAsync('id', ['-u', name], { encoding: 'utf8' })).stdout.trim());
    const gid = Number((await execFileAsync('id', ['-g', name], { encoding: 'utf8' })).stdout.trim());
    return { name, uid, gid };
  } catch (error) {
    throw new LocalInfraError(
      LocalInfraErrorCode.PostgresStartFailed,
      'PostgreSQL refuses to run as root and this process is root, but there is no `postgres` OS user to run it as: ' +
        'create one (`useradd --system postgres`) or run as another user.',
      { cause: error },
    );
  }
}

async function initCluster(
  bin: string,
  dataDir: string,
  workDir: string,
  user: OsUser | undefined,
  timeoutMs: number,
): Promise<void> {
  const initdb = join(bin, 'initdb');
  const child = spawn(
    initdb,
    // --no-sync: only the files initdb writes skip fsync; the server itself runs with fsync on.
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'], ...(user ? { uid: user.uid, gid: user.gid } : {}) },
  );
  const output = OutputTail.of(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await processEnded(child);
  clearTimeout(timer);
  if (exit.code === 0) return;
  // A directory above the cluster that the postgres user cannot enter is the usual failure when running as root.
  const asUser = user ? ` as the ${user.name} OS user, which needs to reach ${workDir}` : '';
  throw new LocalInfraError(
    LocalInfraErrorCode.PostgresStartFailed,
    `initdb (${initdb}) failed${asUser} (${describeExit(exit)}). Its output:\n${output.toString()}`,
  );
}

/** True when the server accepts a connection and answers `SELECT 1`. */
async function answersQueries(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const startAttempts = 3;

/**
 * Starts a real PostgreSQL cluster of its own: initdb in a temporary directory (trust authentication, user
 * `postgres`), a postmaster listening only on 127.0.0.1 at a free port, fsync on so a crash is recovered from the WAL
 * as in production. `restart` keeps the port and the data; `stop()` ends every process of it and removes the
 * directory. Run as root, the cluster runs as the `postgres` OS user.
 */
export async function startPrivatePostgres(
  options: StartPrivatePostgresOptions = {},
): Promise<PrivatePostgres> {
  const bin = await locatePostgresBin();
  const user = await serverUser();
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const workDir = await mkdtemp(join(options.dir ?? tmpdir(), 'vstack-postgres-'));
  const removeWorkDir = () => rm(workDir, { recursive: true, force: true });
  const dataDir = join(workDir, 'data');
  try {
    if (user) await chown(workDir, user.uid, user.gid);
    await initCluster(bin, dataDir, workDir, user, startTimeoutMs);
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      try {
        return await startPostmaster(
          { bin, dataDir, workDir, port, user, startTimeoutMs, options },
          removeWorkDir,
        );
      } catch (error) {
        // Another process may take the free port between choosing it and the postmaster binding it.
        const portTaken =
          error instanceof LocalInfraError && error.message.includes('Address already in use');
        if (!portTaken || attempt >= startAttempts) throw error;
      }
    }
  } catch (error) {
    await removeWorkDir();
    throw error;
  }
}

async function startPostmaster(
  cluster: {
    bin: string;
    dataDir: string;
    workDir: string;
    port: number;
    user: OsUser | undefined;
    startTimeoutMs: number;
    options: StartPrivatePostgresOptions;
  },
  removeWorkDir: () => Promise<void>,
): Promise<PrivatePostgres> {
  const { bin, dataDir, workDir, port, user } = cluster;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const postgres = join(bin, 'postgres');
  const settings = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket file to leave behind, and no limit on the length of the directory's path.
    unix_socket_directories: '',
    fsync: 'on',
    max_connections: String(cluster.options.maxConnections ?? 200),
    shared_buffers: '64MB',
    // Names the cluster's processes in `ps` ("postgres: vstack-<port>: checkpointer").
    cluster_name: `vstack-${port}`,
  };
  const args = ['-D', dataDir, '-p', String(port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const server = await superviseServer(
    {
      name: `postgres (${postgres})`,
      port,
      errorCode: LocalInfraErrorCode.PostgresStartFailed,
      // Detached: a Ctrl-C in the terminal reaches only the owner, which stops the server after the services using it.
      spawn: () =>
        spawn(postgres, args, {
          cwd: workDir,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
          ...(user ? { uid: user.uid, gid: user.gid } : {}),
        }),
      ready: () => answersQueries(url),
      readiness: 'to answer `SELECT 1`',
      // SIGINT: a fast shutdown (what `pg_ctl stop` does); SIGTERM would wait for every client to disconnect.
      cleanSignal: 'SIGINT',
      cleanStopMs: 10_000,
      startTimeoutMs: cluster.startTimeoutMs,
    },
    removeWorkDir,
  );
  return {
    url,
    port,
    get pid() {
      return server.pid;
    },
    stop: server.stop,
    restart: server.restart,
  };
}
