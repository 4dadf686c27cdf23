import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { isPortFree } from './net';
import { locatePostgresBin, type PrivatePostgres, startPrivatePostgres } from './postgres-cluster';
import { isProcessAlive } from './process';
import { childrenOf, isStillRunning } from './restartable';

const postgresInstalled = await locatePostgresBin().then(
  () => true,
  () => false,
);

async function executable(path: string, text = '#!/bin/sh\nexit 0\n'): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

describe('locatePostgresBin', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-infra-pg-bin-spec-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('takes the bin directory pg_config names when it holds initdb and postgres', async () => {
    const bin = join(root, 'from-pg-config');
    await mkdir(bin);
    await executable(join(bin, 'initdb'));
    await executable(join(bin, 'postgres'));
    const pgConfig = join(root, 'pg_config');
    await executable(pgConfig, `#!/bin/sh\necho ${bin}\n`);
    expect(await locatePostgresBin({ pgConfig, versionsDir: join(root, 'none') })).toBe(bin);
  });

  it('else takes the newest version directory that holds both programs', async () => {
    const versionsDir = join(root, 'versions');
    for (const [version, programs] of [
      ['9.6', ['initdb', 'postgres']],
      ['14', ['initdb', 'postgres']],
      ['16', ['initdb']],
    ] as const) {
      await mkdir(join(versionsDir, version, 'bin'), { recursive: true });
      for (const program of programs) await executable(join(versionsDir, version, 'bin', program));
    }
    expect(await locatePostgresBin({ pgConfig: join(root, 'no-pg-config'), versionsDir })).toBe(
      join(versionsDir, '14', 'bin'),
    );
  });

  it('names what is missing and how to install it', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const pgConfig = join(root, 'client-only-pg_config');
    await executable(pgConfig, `#!/bin/sh\necho ${empty}\n`);
    const located = locatePostgresBin({ pgConfig, versionsDir: join(root, 'no-versions') });
    await expect(located).rejects.toThrow(
      new RegExp(
        `\`${pgConfig} --bindir\` gives ${empty}, which has no initdb and no postgres; ` +
          `${join(root, 'no-versions')} holds no PostgreSQL version.*apt-get install postgresql`,
      ),
    );
    await expect(located).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof LocalInfraError && error.code === LocalInfraErrorCode.PostgresNotInstalled,
    );
  });
});

describe.skipIf(!postgresInstalled)(
  'startPrivatePostgres (skipped when PostgreSQL server programs are not installed)',
  () => {
    let parent: string;
    let started: PrivatePostgres | undefined;
    const cluster = (): PrivatePostgres => {
      if (!started) throw new Error('the cluster did not start');
      return started;
    };
    const query = async (text: string) => {
      const client = new pg.Client({ connectionString: cluster().url });
      await client.connect();
      try {
        return (await client.query<{ label: string }>(text)).rows;
      } finally {
        await client.end();
      }
    };
    const labels = async () =>
      (await query('SELECT label FROM marks ORDER BY label')).map((row) => row.label);

    beforeAll(async () => {
      parent = await mkdtemp(join(tmpdir(), 'local-infra-pg-cluster-spec-'));
      // Run as root, the cluster belongs to the postgres user, who must be able to enter this directory.
      await chmod(parent, 0o755);
      started = await startPrivatePostgres({ dir: parent });
      await query('CREATE TABLE marks (label text PRIMARY KEY)');
    }, 60_000);
    afterAll(async () => {
      await started?.stop();
      await rm(parent, { recursive: true, force: true });
    });

    it('serves on loopback at its own port, never as root', () => {
      const postgres = cluster();
      expect(postgres.url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/postgres`);
      expect(isProcessAlive(postgres.pid)).toBe(true);
      // /proc/<pid> belongs to the process's user.
      if (existsSync(`/proc/${postgres.pid}`)) expect(statSync(`/proc/${postgres.pid}`).uid).not.toBe(0);
    });

    it('keeps committed rows and its port through a crash, with a client connected', async () => {
      const postgres = cluster();
      await query(`INSERT INTO marks VALUES ('before crash')`);
      const connected = new pg.Client({ connectionString: postgres.url });
      connected.on('error', () => undefined);
      await connected.connect();
      const { port, pid, url } = postgres;
      const backends = childrenOf(pid);
      await postgres.restart({ crash: true, downMs: 100 });
      await connected.end().catch(() => undefined);
      expect(postgres.port).toBe(port);
      expect(postgres.url).toBe(url);
      expect(postgres.pid).not.toBe(pid);
      expect(isProcessAlive(pid)).toBe(false);
      expect(backends.filter(isStillRunning)).toEqual([]);
      expect(await labels()).toEqual(['before crash']);
    }, 30_000);

    it('keeps committed rows and its port through a clean restart', async () => {
      const postgres = cluster();
      await query(`INSERT INTO marks VALUES ('before clean restart')`);
      const { port, pid } = postgres;
      await postgres.restart();
      expect(postgres.port).toBe(port);
      expect(isProcessAlive(pid)).toBe(false);
      expect(await labels()).toEqual(['before clean restart', 'before crash']);
    }, 30_000);

    it('stops without leaving a process or its directory', async () => {
      const postgres = cluster();
      const { pid, port } = postgres;
      const children = childrenOf(pid);
      await postgres.stop();
      expect(isProcessAlive(pid)).toBe(false);
      expect(children.filter(isStillRunning)).toEqual([]);
      expect(await isPortFree(port)).toBe(true);
      expect(await readdir(parent)).toEqual([]);
      await expect(postgres.restart()).rejects.toThrow(/was stopped and cannot be restarted/);
    });
  },
);
