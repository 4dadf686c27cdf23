import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processEnded, type ProcessExit, isProcessAlive } from '@vstack/local-infra';
import { isListening } from '@vstack/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

const workspaceRoot = resolve(import.meta.dirname, '../../..');
const launcherMain = join(workspaceRoot, 'dist/tools/launcher/main.js');

function runNode(args: string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: workspaceRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolveRun();
      else reject(new Error(`node ${args.join(' ')} failed (exit code ${code}):\n${output}`));
    });
  });
}

const buildProject = (project: string) =>
  runNode(['tools/build.mjs', '--project', project, '--entry', 'src/main.ts']);

async function eventuallyGone(pids: readonly number[]): Promise<number[]> {
  for (let i = 0; i < 40; i++) {
    if (pids.every((pid) => !isProcessAlive(pid))) return [];
    await new Promise((done) => setTimeout(done, 50));
  }
  return pids.filter(isProcessAlive);
}

interface StartedApp {
  name: string;
  pid: number;
  url: string;
}

/** The built launcher running as a child process, with its combined output. */
class LauncherRun {
  output = '';
  readonly ended: Promise<ProcessExit>;

  private constructor(
    readonly child: ChildProcess,
    /** Where this run leaves its app logs and services.json. */
    readonly localDir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.ended = processEnded(child);
  }

  static start(args: string[], env: NodeJS.ProcessEnv): LauncherRun {
    // Unset, so the launcher starts private ones unless the test passes them.
    const inherited = { ...process.env };
    delete inherited['REDIS_URL'];
    delete inherited['DATABASE_URL'];
    const localDir = mkdtempSync(join(tmpdir(), 'launcher-e2e-local-'));
    return new LauncherRun(
      spawn(process.execPath, [launcherMain, ...args], {
        cwd: workspaceRoot,
        env: { ...inherited, NO_COLOR: '1', VSTACK_LOCAL_DIR: localDir, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      localDir,
    );
  }

  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.hasExited()) {
      const match = pattern.exec(this.output);
      if (match) return match;
      await new Promise((done) => setTimeout(done, 100));
    }
    const match = pattern.exec(this.output);
    if (match) return match;
    throw new Error(
      `the launcher did not print ${pattern}${this.hasExited() ? ' before it exited' : ''}:\n${this.output}`,
    );
  }

  hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  startedApps(): StartedApp[] {
    return [...this.output.matchAll(/started (\S+) \(pid (\d+)\) on (http:\/\/127\.0\.0\.1:\d+)/g)].map(
      (match) => ({
        name: match[1] ?? '',
        pid: Number(match[2]),
        url: match[3] ?? '',
      }),
    );
  }

  /** Every pid the launcher said it started: apps and a private redis-server. */
  pids(): number[] {
    return [...this.output.matchAll(/\(pid (\d+)\)/g)].map((match) => Number(match[1]));
  }

  async stop(): Promise<ProcessExit> {
    this.child.kill('SIGINT');
    return this.ended;
  }

  /** After a failed test: no launcher, no app, no redis-server left running. */
  async cleanUp(): Promise<void> {
    if (!this.hasExited()) {
      this.child.kill('SIGINT');
      const stopped = await Promise.race([
        this.ended.then(() => true),
        new Promise((done) => setTimeout(done, 20_000, false)),
      ]);
      if (!stopped) this.child.kill('SIGKILL');
    }
    for (const pid of this.pids().filter(isProcessAlive)) process.kill(pid, 'SIGKILL');
    await rm(this.localDir, { recursive: true, force: true });
  }
}

const fixtureApp = (pgEntry: string) => `
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { basename, dirname } from 'node:path';
import pg from ${JSON.stringify(pgEntry)};

const name = basename(dirname(process.argv[1]));
const env = process.env;
let server;
process.on('SIGTERM', () => {
  console.log(name + ' stopping');
  server?.close();
  process.exit(0);
});

if (process.argv[2] === 'migrate') {
  if (env.FIXTURE_FAIL_MIGRATE === name) {
    console.error('migration failed on purpose');
    process.exit(2);
  }
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  const { rows } = await client.query('SELECT current_database() AS database');
  await client.end();
  console.log('migrated ' + name + ' in ' + rows[0].database);
  process.exit(0);
}

const redis = new URL(env.REDIS_URL);
const redisAnswers = await new Promise((resolve) => {
  const socket = connect(Number(redis.port), redis.hostname);
  socket.on('connect', () => socket.write('PING\\r\\n'));
  socket.on('data', (data) => { socket.destroy(); resolve(String(data).startsWith('+PONG')); });
  socket.on('error', () => resolve(false));
});
server = createServer((request, response) => {
  if (request.url === '/health/ready' || request.url === '/health/live') {
    response.writeHead(redisAnswers && env.FIXTURE_NOT_READY !== name ? 200 : 503).end();
  } else if (request.url === '/env') {
    const { REDIS_URL, DATABASE_URL, HOST, PORT, LOG_FORMAT, METRICS_TOKEN, SUBTENSOR_URL } = env;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ REDIS_URL, DATABASE_URL, HOST, PORT, LOG_FORMAT, METRICS_TOKEN, SUBTENSOR_URL }));
  } else {
    response.writeHead(404).end();
  }
});
server.listen(Number(env.PORT), env.HOST, () => console.log(name + ' listening on ' + env.HOST + ':' + env.PORT));
if (env.FIXTURE_CRASH === name) {
  setTimeout(() => {
    console.error(name + ' crashing on purpose');
    process.exit(3);
  }, 1500);
}
`;

beforeAll(async () => {
  await buildProject('tools/launcher');
}, 60_000);

describe('the launcher with fixture apps', () => {
  let distDir: string;
  let run: LauncherRun | undefined;
  const fixtureNames = ['devnet', 'gateway', 'managing'];

  beforeAll(async () => {
    distDir = await mkdtemp(join(tmpdir(), 'launcher-e2e-'));
    const pgEntry = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href;
    for (const name of fixtureNames) {
      await mkdir(join(distDir, 'apps', name), { recursive: true });
      await writeFile(join(distDir, 'apps', name, 'main.js'), fixtureApp(pgEntry));
    }
  });
  afterEach(async () => {
    await run?.cleanUp();
    run = undefined;
  });
  afterAll(async () => {
    await rm(distDir, { recursive: true, force: true });
  });

  it('starts private Redis and PostgreSQL, migrates, starts every app, and stops it all on SIGINT', async () => {
    run = LauncherRun.start([], { VSTACK_DIST_DIR: distDir });
    await run.waitForOutput(/vstack is running — Ctrl-C to stop/, 90_000);

    const redis = /started private redis-server \(pid (\d+)\) at (redis:\/\/127\.0\.0\.1:\d+)/.exec(
      run.output,
    );
    const postgres = /started embedded PostgreSQL \(PGlite, in memory\) at (postgres:\/\/\S+)/.exec(
      run.output,
    );
    expect(redis).not.toBeNull();
    expect(postgres).not.toBeNull();
    expect(run.output).toMatch(/^gateway +\| migrated gateway in postgres$/m);
    expect(run.output).not.toMatch(/migrated (devnet|managing)/);

    const apps = run.startedApps();
    expect(apps.map((app) => app.name)).toEqual(['devnet', 'gateway', 'managing']);
    for (const app of apps) {
      expect((await fetch(`${app.url}/health/ready`)).status, app.name).toBe(200);
      expect(run.output).toContain(`${app.url}/metrics`);
    }
    const metricsToken = /METRICS_TOKEN +(\S+)/.exec(run.output)?.[1];
    const gateway = apps.find((app) => app.name === 'gateway')!;
    const devnet = apps.find((app) => app.name === 'devnet')!;
    const env = (await (await fetch(`${gateway.url}/env`)).json()) as Record<string, string>;
    expect(env).toEqual({
      REDIS_URL: redis?.[2],
      DATABASE_URL: postgres?.[1],
      HOST: '127.0.0.1',
      PORT: new URL(gateway.url).port,
      LOG_FORMAT: 'pretty',
      METRICS_TOKEN: metricsToken,
      SUBTENSOR_URL: `ws://127.0.0.1:${new URL(devnet.url).port}`,
    });
    expect(metricsToken?.length).toBeGreaterThanOrEqual(16);

    // What `vstack top` reads to find the apps of this run.
    const servicesFile = join(run.localDir, 'services.json');
    expect(JSON.parse(await readFile(servicesFile, 'utf8'))).toEqual({
      apps: Object.fromEntries(apps.map((app) => [app.name, app.url])),
      metricsToken,
    });

    const pids = run.pids();
    expect(pids).toHaveLength(4);
    expect(await run.stop()).toEqual({ code: 0, signal: null });
    // Each app's output stays in its own file for `vstack logs <app>`; the list of running apps goes.
    const gatewayLog = await readFile(join(run.localDir, 'logs', 'gateway.log'), 'utf8');
    expect(gatewayLog).toMatch(/^migrated gateway in postgres$/m);
    expect(gatewayLog).toMatch(/^gateway listening on 127\.0\.0\.1:\d+$/m);
    expect(gatewayLog).toMatch(/^gateway stopping$/m);
    expect(existsSync(servicesFile)).toBe(false);
    expect(run.output).toMatch(/^gateway +\| gateway stopping$/m);
    expect(run.output).toMatch(/launcher +\| stopped$/m);
    expect(await eventuallyGone(pids)).toEqual([]);
    expect(await isListening('127.0.0.1', Number(new URL(redis?.[2] ?? '').port))).toBe(false);
    expect(await isListening('127.0.0.1', Number(new URL(postgres?.[1] ?? '').port))).toBe(false);
  }, 120_000);

  it('stops everything and exits non-zero when an app dies, naming it and its exit code', async () => {
    run = LauncherRun.start([], {
      VSTACK_DIST_DIR: distDir,
      REDIS_URL: inject('redisUrl'),
      DATABASE_URL: inject('databaseUrl'),
      FIXTURE_CRASH: 'managing',
    });
    await run.waitForOutput(/launcher +\| managing \(pid \d+\) exited unexpectedly with exit code 3/, 60_000);
    const exit = await run.ended;
    expect(exit.code).toBe(1);
    expect(run.output).toMatch(/using Redis at redis:\/\//);
    expect(run.output).not.toMatch(/private redis-server|PGlite/);
    expect(await eventuallyGone(run.pids())).toEqual([]);
  }, 90_000);

  it('stops before starting any app when a migration fails', async () => {
    run = LauncherRun.start([], {
      VSTACK_DIST_DIR: distDir,
      REDIS_URL: inject('redisUrl'),
      DATABASE_URL: inject('databaseUrl'),
      FIXTURE_FAIL_MIGRATE: 'gateway',
    });
    expect((await run.ended).code).toBe(1);
    expect(run.output).toMatch(/the migrations of gateway failed \(exit code 2\)/);
    expect(run.startedApps()).toEqual([]);
  }, 60_000);

  it('gives up on an app that never becomes ready, naming it and what it answered', async () => {
    run = LauncherRun.start(['--ready-timeout', '2'], {
      VSTACK_DIST_DIR: distDir,
      REDIS_URL: inject('redisUrl'),
      DATABASE_URL: inject('databaseUrl'),
      FIXTURE_NOT_READY: 'managing',
    });
    expect((await run.ended).code).toBe(1);
    expect(run.output).toMatch(
      /launcher +\| managing was not ready after 2 s \(GET http:\/\/127\.0\.0\.1:\d+\/health\/ready: answered 503\)/,
    );
    expect(run.output).not.toMatch(/vstack is running/);
    expect(await eventuallyGone(run.pids())).toEqual([]);
  }, 60_000);

  it('starts only the apps asked for, and skips the migrations when told to', async () => {
    run = LauncherRun.start(['--only', 'gateway,scoring', '--no-migrate'], {
      VSTACK_DIST_DIR: distDir,
      REDIS_URL: inject('redisUrl'),
      DATABASE_URL: inject('databaseUrl'),
    });
    await run.waitForOutput(/vstack is running/, 60_000);
    expect(run.output).toMatch(/skipping scoring: .*apps\/scoring\/main\.js is not built/);
    expect(run.output).not.toMatch(/migrat/);
    expect(run.startedApps().map((app) => app.name)).toEqual(['gateway']);
    const pids = run.pids();
    expect(await run.stop()).toEqual({ code: 0, signal: null });
    expect(await eventuallyGone(pids)).toEqual([]);
  }, 60_000);

  it('refuses unknown options with the usage', async () => {
    run = LauncherRun.start(['--bogus'], { VSTACK_DIST_DIR: distDir });
    expect((await run.ended).code).toBe(2);
    expect(run.output).toMatch(/--bogus[\s\S]*usage: npm run local/);
  });
});

const appsWithEntry = readdirSync(join(workspaceRoot, 'apps')).filter((name) =>
  existsSync(join(workspaceRoot, 'apps', name, 'src/main.ts')),
);

describe.skipIf(appsWithEntry.length === 0)('the launcher with the real apps', () => {
  let run: LauncherRun | undefined;

  beforeAll(async () => {
    await Promise.all(appsWithEntry.map((name) => buildProject(`apps/${name}`)));
  }, 180_000);
  afterEach(async () => {
    await run?.cleanUp();
    run = undefined;
  });

  it('starts every app with private Redis and PostgreSQL until each is ready, and stops them all on SIGINT', async () => {
    run = LauncherRun.start([], {});
    await run.waitForOutput(/vstack is running — Ctrl-C to stop/, 90_000);
    const apps = run.startedApps();
    expect(apps.map((app) => app.name).sort()).toEqual([...appsWithEntry].sort());
    for (const app of apps) {
      expect((await fetch(`${app.url}/health/ready`)).status, app.name).toBe(200);
    }
    const pids = run.pids();
    expect(await run.stop()).toEqual({ code: 0, signal: null });
    expect(await eventuallyGone(pids)).toEqual([]);
  }, 120_000);
});
