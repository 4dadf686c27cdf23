import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allSucceeded, parseMigrationApps, runMigrations } from './migrations';

let appsDir: string;
let journal: string;

/** A stand-in app bundle that records `<app> <args>` and exits as told. */
function fakeApp(app: string, body: string): void {
  mkdirSync(join(appsDir, app));
  writeFileSync(
    join(appsDir, app, 'main.js'),
    `require('node:fs').appendFileSync(${JSON.stringify(journal)}, ${JSON.stringify(app)} + ' ' + process.argv.slice(2).join(' ') + ' ' + process.env.DATABASE_URL + '\\n');\n${body}\n`,
  );
}

function journalLines(): string[] {
  try {
    return readFileSync(journal, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

beforeEach(() => {
  appsDir = mkdtempSync(join(tmpdir(), 'vstack-migrations-'));
  journal = join(appsDir, 'journal.txt');
});

afterEach(() => {
  rmSync(appsDir, { recursive: true, force: true });
});

const env = { ...process.env, DATABASE_URL: 'postgres://db/x' };

describe('runMigrations', () => {
  it('runs `main.js migrate` of every app in order, with the environment', async () => {
    fakeApp('sidecar', 'process.exit(0)');
    fakeApp('gateway', 'process.exit(0)');
    const apps = ['sidecar', 'gateway'];
    const runs = await runMigrations(apps, { appsDir, env, stdio: 'ignore' });
    expect(journalLines()).toEqual(['sidecar migrate postgres://db/x', 'gateway migrate postgres://db/x']);
    expect(allSucceeded(apps, runs)).toBe(true);
  });

  it('stops at the first app that fails', async () => {
    fakeApp('sidecar', 'process.exit(0)');
    fakeApp('scoring', 'process.exit(3)');
    fakeApp('gateway', 'process.exit(0)');
    const apps = ['sidecar', 'scoring', 'gateway'];
    const logged: string[] = [];
    const runs = await runMigrations(apps, {
      appsDir,
      env,
      stdio: 'ignore',
      log: (message, app) => logged.push(`${app}: ${message}`),
    });
    expect(runs.map((run) => [run.app, run.exitCode])).toEqual([
      ['sidecar', 0],
      ['scoring', 3],
    ]);
    expect(journalLines().map((line) => line.split(' ')[0])).toEqual(['sidecar', 'scoring']);
    expect(logged).toContain('scoring: migrations failed (exit code 3)');
    expect(allSucceeded(apps, runs)).toBe(false);
  });

  it('fails an app whose bundle is missing', async () => {
    fakeApp('gateway', 'process.exit(0)');
    const logged: string[] = [];
    const runs = await runMigrations(['synthesizing', 'gateway'], {
      appsDir,
      env,
      stdio: 'ignore',
      log: (message, app) => logged.push(`${app}: ${message}`),
    });
    expect(runs).toEqual([{ app: 'synthesizing', exitCode: 127, signal: null }]);
    expect(logged).toEqual([`synthesizing: no bundle at ${join(appsDir, 'synthesizing', 'main.js')}`]);
    expect(journalLines()).toEqual([]);
  });

  it('stops the running migration on abort and starts no further one', async () => {
    fakeApp('sidecar', 'setInterval(() => undefined, 1000)');
    fakeApp('gateway', 'process.exit(0)');
    const controller = new AbortController();
    const running = runMigrations(['sidecar', 'gateway'], {
      appsDir,
      env,
      stdio: 'ignore',
      signal: controller.signal,
    });
    await expect.poll(journalLines).toHaveLength(1);
    controller.abort();
    const runs = await running;
    expect(runs).toEqual([{ app: 'sidecar', exitCode: null, signal: 'SIGTERM' }]);
    expect(allSucceeded(['sidecar', 'gateway'], runs)).toBe(false);
  });
});

describe('parseMigrationApps', () => {
  it('reads space- or comma-separated names', () => {
    expect(parseMigrationApps(' sidecar scoring,synthesizing ,gateway ')).toEqual([
      'sidecar',
      'scoring',
      'synthesizing',
      'gateway',
    ]);
    expect(parseMigrationApps(undefined)).toEqual([]);
  });
});
