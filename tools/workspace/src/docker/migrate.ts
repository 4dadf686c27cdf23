// Entry of the `migrations` image: runs every Postgres service's migrations, in turn, then exits.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allSucceeded, parseMigrationApps, runMigrations } from './migrations';

function log(level: number, msg: string, app?: string): void {
  console.log(JSON.stringify({ level, time: new Date().toISOString(), service: 'migrations', app, msg }));
}

const apps = parseMigrationApps(process.env.VSTACK_MIGRATION_APPS);
if (apps.length === 0) {
  log(50, 'VSTACK_MIGRATION_APPS names no app to migrate');
  process.exit(2);
}

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    controller.abort();
  });
}

const runs = await runMigrations(apps, {
  appsDir: dirname(fileURLToPath(import.meta.url)),
  signal: controller.signal,
  log: (msg, app) => {
    log(30, msg, app);
  },
});
const succeeded = allSucceeded(apps, runs);
log(succeeded ? 30 : 50, succeeded ? `migrated ${apps.join(', ')}` : 'migrations stopped');
process.exitCode = succeeded ? 0 : 1;
