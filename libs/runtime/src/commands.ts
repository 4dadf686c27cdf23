import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Logger } from '@vstack/observability';
import { AlreadyReportedError } from './errors';

/** Exit status of a command given bad arguments or an unknown command (EX_USAGE). */
export const EXIT_USAGE = 64;

/** What a command gets besides its arguments. */
export interface CommandContext<C> {
  config: C;
  logger: Logger;
  /** Where a command tells the operator what it did (stdout). */
  out: NodeJS.WritableStream;
}

/** One command of a service's CLI: `node main.js <name> [arguments]`, run with the service's validated config. */
export interface ServiceCommand<C> {
  /** One line in the list of commands. */
  summary: string;
  /** The arguments as a usage line shows them, e.g. `--ip <address> --port <port> [--netuid <netuid>]`. */
  usage?: string;
  run(args: readonly string[], context: CommandContext<C>): Promise<void>;
}

/** Bad command-line arguments: the message, then the command's usage, and exit status 64. */
export class CommandUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandUsageError';
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parses `--name value` options strictly (unknown options, positionals, missing values: CommandUsageError). */
export function parseCommandArguments<const O extends OptionsConfig>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CommandUsageError(error instanceof Error ? error.message : String(error));
  }
}

export interface RunCommandContext<C> extends CommandContext<C> {
  service: string;
  /** How the operator starts the service, for usage lines: `node dist/apps/x/main.js`. */
  program: string;
  /** Where messages about a failed command go (stderr). */
  err: NodeJS.WritableStream;
}

/** True when an error has a code of its own: its message is written for the operator, no stack needed. */
function isExplained(error: unknown): error is Error {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

function helpText<C>(
  context: RunCommandContext<C>,
  commands: Readonly<Record<string, ServiceCommand<C>>>,
): string {
  const lines = [
    `usage: ${context.program} [command]`,
    '',
    'Without a command the service starts. Commands:',
  ];
  for (const [name, command] of Object.entries(commands)) {
    lines.push(`  ${name}${command.usage ? ` ${command.usage}` : ''}`, `      ${command.summary}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs one command and gives the exit status: 0 when it succeeded, 64 for an unknown command or bad arguments
 * (the message and the usage line, no stack), 1 when it failed (the message of an error with a code, else the
 * error logged with its stack). `help`, `--help` and `-h` list the commands.
 */
export async function runServiceCommand<C>(
  commands: Readonly<Record<string, ServiceCommand<C>>>,
  argv: readonly string[],
  context: RunCommandContext<C>,
): Promise<number> {
  const [name = 'help', ...args] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    context.out.write(helpText(context, commands));
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    context.err.write(
      `${context.service}: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')}; help lists them)\n`,
    );
    return EXIT_USAGE;
  }
  try {
    await command.run(args, { config: context.config, logger: context.logger, out: context.out });
    return 0;
  } catch (error) {
    if (error instanceof CommandUsageError) {
      context.err.write(`${context.service} ${name}: ${error.message}\n`);
      context.err.write(`usage: ${context.program} ${name}${command.usage ? ` ${command.usage}` : ''}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof AlreadyReportedError) return 1;
    if (isExplained(error)) {
      context.err.write(`${context.service} ${name}: ${error.message}\n`);
      return 1;
    }
    context.logger.fatal(
      { err: error },
      `${name} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}
