import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface MigrationRun {
  app: string;
  /** The exit code, or null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunMigrationsOptions {
  /** Directory holding `<app>/main.js` for each app. */
  appsDir: string;
  env?: NodeJS.ProcessEnv;
  stdio?: 'inherit' | 'ignore';
  /** Aborting stops the running migration (SIGTERM) and starts no further one. */
  signal?: AbortSignal;
  log?: (message: string, app: string) => void;
}

/** The apps to migrate from a space- or comma-separated list. */
export function parseMigrationApps(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((app) => app !== '');
}

function runOne(app: string, options: RunMigrationsOptions): Promise<MigrationRun> {
  return new Promise((resolve, reject) => {
    const appDir = join(options.appsDir, app);
    const child = spawn(process.execPath, [join(appDir, 'main.js'), 'migrate'], {
      cwd: appDir,
      env: options.env ?? process.env,
      stdio: options.stdio ?? 'inherit',
    });
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', stop);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', stop);
      resolve({ app, exitCode, signal });
    });
  });
}

/**
 * Runs `node <app>/main.js migrate` for each app in order, each in its own process, and stops at the first
 * that fails. Resolves with the runs that happened; every one succeeded when all exit codes are 0.
 */
export async function runMigrations(
  apps: readonly string[],
  options: RunMigrationsOptions,
): Promise<MigrationRun[]> {
  const runs: MigrationRun[] = [];
  for (const app of apps) {
    if (options.signal?.aborted) break;
    if (!existsSync(join(options.appsDir, app, 'main.js'))) {
      options.log?.(`no bundle at ${join(options.appsDir, app, 'main.js')}`, app);
      runs.push({ app, exitCode: 127, signal: null });
      break;
    }
    options.log?.('running migrations', app);
    const run = await runOne(app, options);
    runs.push(run);
    if (run.exitCode !== 0) {
      options.log?.(`migrations failed (${run.signal ?? `exit code ${String(run.exitCode)}`})`, app);
      break;
    }
    options.log?.('migrations done', app);
  }
  return runs;
}

/** True when every app was migrated. */
export function allSucceeded(apps: readonly string[], runs: readonly MigrationRun[]): boolean {
  return runs.length === apps.length && runs.every((run) => run.exitCode === 0);
}
