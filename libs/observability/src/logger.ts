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

/** Query parameter names whose values may be secrets (clients do put tokens in URLs). */
const secretParameter = /token|key|secret|passw|pwd|auth|sig|session|credential|mnemonic|seed|cookie/i;

/** A request URL fit for a log line: the values of query parameters that may hold secrets are replaced. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const name = pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replaceAll('+', ' '));
      } catch {
        // A malformed escape: judge the name as written.
      }
      return secretParameter.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

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
