import { Colour, paint } from './text';

/** pino's level numbers and the names `vstack logs` shows. */
export const logLevels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof logLevels;

const levelColours: Readonly<Record<LogLevelName, number>> = {
  trace: Colour.grey,
  debug: Colour.blue,
  info: Colour.green,
  warn: Colour.yellow,
  error: Colour.red,
  fatal: Colour.magenta,
};

// Shown in the fixed columns, or carrying nothing a reader needs.
const fixedFields = new Set(['level', 'time', 'msg', 'message', 'service', 'pid', 'hostname', 'v']);

/** How log lines are written. */
export interface LogFormatOptions {
  colour: boolean;
  /** Lines below this level are left out (lines that are not JSON are always shown). */
  minLevel?: number;
  /** Put in front of lines that are not pino JSON (the file they came from, when reading several). */
  source?: string;
}

/** True for a level name `--level` accepts. */
export function isLogLevelName(name: string): name is LogLevelName {
  return Object.hasOwn(logLevels, name);
}

function levelNameOf(level: unknown): LogLevelName | undefined {
  if (typeof level === 'string') return isLogLevelName(level) ? level : undefined;
  if (typeof level !== 'number') return undefined;
  let name: LogLevelName | undefined;
  for (const [candidate, value] of Object.entries(logLevels) as [LogLevelName, number][]) {
    if (level >= value) name = candidate;
  }
  return name ?? 'trace';
}

function levelNumberOf(level: unknown): number | undefined {
  if (typeof level === 'number') return level;
  return typeof level === 'string' && isLogLevelName(level) ? logLevels[level] : undefined;
}

/** The time of a line as HH:MM:SS.mmm (UTC), from pino's ISO time or epoch milliseconds. */
export function formatLogTime(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : undefined;
  if (!date || Number.isNaN(date.getTime())) return '--:--:--.---';
  return date.toISOString().slice(11, 23);
}

/** A field value as `key=value`: bare when it is a plain word or number, else JSON. */
export function formatFieldValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

interface ErrorFields {
  type?: unknown;
  message?: unknown;
  stack?: unknown;
}

function errorLines(error: ErrorFields, colour: boolean): { summary: string; stack: string[] } {
  const type = typeof error.type === 'string' ? error.type : 'Error';
  const message = typeof error.message === 'string' ? error.message : '';
  const stack =
    typeof error.stack === 'string'
      ? error.stack
          .split('\n')
          .slice(1)
          .map((line) => paint(`    ${line.trim()}`, Colour.dim, colour))
      : [];
  return { summary: `${type}: ${message}`, stack };
}

/** A docker compose prefix such as `gateway-1  | ` before the JSON. */
const composePrefix = /^[\w.-]+\s+\|\s?(?=\{)/;

/**
 * One pino JSON line written for people: time, level (coloured on a terminal), service, message, then the other
 * fields as key=value, and an error's stack on the lines after. Lines that are not pino JSON come back as they
 * are; undefined when the line is below `minLevel`.
 */
export function formatLogLine(line: string, options: LogFormatOptions): string | undefined {
  const text = line.replace(composePrefix, '');
  let record: Record<string, unknown> | undefined;
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        record = parsed as Record<string, unknown>;
      }
    } catch {
      record = undefined;
    }
  }
  if (!record || !('level' in record)) return options.source ? `${options.source} ${line}` : line;

  const levelNumber = levelNumberOf(record['level']);
  if (options.minLevel !== undefined && levelNumber !== undefined && levelNumber < options.minLevel) {
    return undefined;
  }
  const levelName = levelNameOf(record['level']);
  const level = paint(
    (levelName ?? String(record['level'])).toUpperCase().padEnd(5),
    levelName ? levelColours[levelName] : Colour.bold,
    options.colour,
  );
  const service = typeof record['service'] === 'string' ? record['service'] : '-';
  const rawMessage = record['msg'] ?? record['message'];
  const message =
    typeof rawMessage === 'string'
      ? rawMessage
      : rawMessage === undefined
        ? ''
        : formatFieldValue(rawMessage);

  const fields: string[] = [];
  let stack: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (fixedFields.has(key) || value === undefined) continue;
    if ((key === 'err' || key === 'error') && typeof value === 'object' && value !== null) {
      const error = errorLines(value, options.colour);
      fields.push(`${paint(key, Colour.cyan, options.colour)}=${JSON.stringify(error.summary)}`);
      stack = error.stack;
      continue;
    }
    fields.push(`${paint(key, Colour.cyan, options.colour)}=${formatFieldValue(value)}`);
  }
  const head = [
    paint(formatLogTime(record['time']), Colour.dim, options.colour),
    level,
    paint(service, Colour.magenta, options.colour),
    levelNumber !== undefined && levelNumber >= logLevels.error
      ? paint(message, Colour.bold, options.colour)
      : message,
    ...fields,
  ]
    .filter((part) => part !== '')
    .join(' ');
  return [head, ...stack].join('\n');
}
