import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { currentCorrelationId } from './correlation';

/** Paths whose values never reach a log line. */
export const redactedPaths = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.headers.authorization',
  'mnemonic',
  '*.mnemonic',
  'seed',
  '*.seed',
  'secretSeed',
  '*.secretSeed',
  'secretPhrase',
  '*.secretPhrase',
  'privateKey',
  '*.privateKey',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
];

export interface LoggerSettings {
  service: string;
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Where lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
}

/** The service's pino logger: JSON in production, pretty on a terminal, secrets redacted, correlation ids mixed in. */
export function createLogger(settings: LoggerSettings): Logger {
  const destination = settings.destination ?? process.stdout;
  const isTty = 'isTTY' in destination && destination.isTTY;
  const usePretty = settings.format === 'pretty' || (settings.format === 'auto' && isTty);
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: settings.service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    mixin() {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (usePretty) {
    return pino(
      options,
      pretty({
        destination,
        colorize: isTty,
        sync: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss.l',
      }),
    );
  }
  return pino(options, destination);
}
