import { parseArgs } from 'node:util';

/** What the command line asked for. */
export interface LauncherOptions {
  /** Apps to start; every built app when undefined. */
  only: string[] | undefined;
  migrate: boolean;
  /** Keep the embedded PostgreSQL's data here across runs; in memory when undefined. */
  dataDir: string | undefined;
  readyTimeoutMs: number;
  help: boolean;
}

export const usage = `usage: npm run local -- [options]

Starts every built vstack service with a private Redis and an embedded PostgreSQL (unless REDIS_URL /
DATABASE_URL are set), runs the migrations, and waits until every service is ready.

  --only <a,b>           start only these apps (comma-separated, may repeat)
  --no-migrate           do not run the migrations first
  --data-dir <dir>       keep the embedded PostgreSQL data in <dir> across runs (default: in memory)
  --ready-timeout <s>    seconds each app may take to become ready (default: 60)
  -h, --help             show this help`;

/** Parses the launcher's arguments; throws with a readable message on anything it does not know. */
export function parseLauncherArgs(argv: readonly string[]): LauncherOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      only: { type: 'string', multiple: true },
      'no-migrate': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'ready-timeout': { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const only = values.only
    ?.flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  if (values.only && !only?.length) throw new Error('--only needs at least one app name');
  const readyTimeoutSeconds = Number(values['ready-timeout']);
  if (!Number.isFinite(readyTimeoutSeconds) || readyTimeoutSeconds <= 0) {
    throw new Error(`--ready-timeout must be a positive number of seconds, not "${values['ready-timeout']}"`);
  }
  return {
    only: only ? [...new Set(only)] : undefined,
    migrate: !values['no-migrate'],
    dataDir: values['data-dir'],
    readyTimeoutMs: Math.round(readyTimeoutSeconds * 1000),
    help: values.help,
  };
}
