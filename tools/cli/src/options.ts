import { parseArgs } from 'node:util';
import { isLogLevelName, logLevels } from './log-format';
import { UsageError } from './services';

/** What the command line asked for. */
export type Command =
  | { command: 'help' }
  | {
      command: 'top';
      service: string | undefined;
      url: string | undefined;
      intervalMs: number;
      once: boolean;
    }
  | {
      command: 'logs';
      service: string | undefined;
      file: string | undefined;
      follow: boolean;
      lines: number;
      minLevel: number | undefined;
    };

export const usage = `usage: vstack <command> [options]

  vstack top [service]     live figures of one service, or one line per service, refreshed every second
      --url <url>          the service's base URL (default: VSTACK_<SERVICE>_URL, the local launcher's
                           address, then 127.0.0.1 on the service's default port)
      --interval <s>       seconds between refreshes (default 1)
      --once               print one reading (two scrapes apart, for rates) and exit
      /metrics is read with Authorization: Bearer $METRICS_TOKEN (or the local launcher's token).
      Keys: q or Ctrl-C to quit.

  vstack logs [service]    service logs (pino JSON lines) written readably
      --file <path>        read this file (- for standard input); default: the local launcher's log of
                           the service, or standard input when it is piped
      -n, --lines <n|all>  lines from the end of a file shown first (default 50)
      --no-follow          print and exit instead of following the file
      --level <level>      leave out lines below trace, debug, info, warn, error or fatal
      e.g. docker compose logs -f gateway | vstack logs

  NO_COLOR=1 turns colours off. VSTACK_LOCAL_DIR is where npm run local leaves its service list and logs
  (default: tmp/local in the repository).`;

function positionalService(positionals: readonly string[], command: string): string | undefined {
  if (positionals.length > 1) {
    throw new UsageError(`vstack ${command} takes at most one service, not "${positionals.join(' ')}"`);
  }
  return positionals[0];
}

/** Parses `vstack` arguments; throws UsageError with a readable message on anything it does not know. */
export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      return { command: 'help' };
    case 'top':
      return parseTop(rest);
    case 'logs':
      return parseLogs(rest);
    default:
      throw new UsageError(`unknown command "${command}"; the commands are top and logs`);
  }
}

/** Runs node:util's parseArgs, turning its errors into usage errors. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parseTop(args: readonly string[]): Command {
  const { values, positionals } = asUsage(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        interval: { type: 'string', default: '1' },
        once: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) return { command: 'help' };
  const service = positionalService(positionals, 'top');
  const url = values.url;
  if (typeof url === 'string' && !service)
    throw new UsageError('--url needs a service: vstack top <service> --url <url>');
  const intervalText = values.interval;
  const interval = Number(intervalText);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) {
    throw new UsageError(`--interval must be a number of seconds from 0.1 to 3600, not "${intervalText}"`);
  }
  return {
    command: 'top',
    service,
    url: typeof url === 'string' ? url : undefined,
    intervalMs: Math.round(interval * 1000),
    once: values.once,
  };
}

function parseLogs(args: readonly string[]): Command {
  const { values, positionals } = asUsage(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        lines: { type: 'string', short: 'n', default: '50' },
        'no-follow': { type: 'boolean', default: false },
        level: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) return { command: 'help' };
  const linesText = values.lines;
  const lines = linesText === 'all' ? Number.POSITIVE_INFINITY : Number(linesText);
  if (!(lines === Number.POSITIVE_INFINITY || (Number.isInteger(lines) && lines >= 0))) {
    throw new UsageError(`--lines must be a whole number or "all", not "${linesText}"`);
  }
  const level = values.level;
  if (typeof level === 'string' && !isLogLevelName(level)) {
    throw new UsageError(`--level must be one of ${Object.keys(logLevels).join(', ')}, not "${level}"`);
  }
  const file = values.file;
  const service = positionalService(positionals, 'logs');
  if (service && typeof file === 'string') throw new UsageError('name a service or a --file, not both');
  return {
    command: 'logs',
    service,
    file: typeof file === 'string' ? file : undefined,
    follow: !values['no-follow'],
    lines,
    minLevel: typeof level === 'string' && isLogLevelName(level) ? logLevels[level] : undefined,
  };
}
