import type { DatabaseLogger } from '../logger';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

/** A DatabaseLogger that keeps every line, so a test can read what an operator would see. */
export function recordingLogger(): { logger: DatabaseLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const method =
    (level: LogLine['level']) =>
    (details: Record<string, unknown>, message: string): void => {
      lines.push({ level, details, message });
    };
  return {
    logger: { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') },
    lines,
  };
}
