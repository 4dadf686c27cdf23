import type { LoggerService } from '@nestjs/common';
import type { Logger } from '@vstack/observability';

function context(optionalParams: unknown[]): { context?: string } {
  const last = optionalParams.at(-1);
  return typeof last === 'string' ? { context: last } : {};
}

const frameworkContexts = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/** Routes Nest's own log lines into the service's pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const fields = context(optionalParams);
    // Nest announces every module and route at start-up; that is detail, not news.
    const level = fields.context && frameworkContexts.has(fields.context) ? 'debug' : 'info';
    this.logger[level](fields, String(message));
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    const stack = optionalParams.length > 1 ? optionalParams[0] : undefined;
    this.logger.error({ ...context(optionalParams), stack }, String(message));
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.warn(context(optionalParams), String(message));
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.debug(context(optionalParams), String(message));
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.trace(context(optionalParams), String(message));
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.logger.fatal(context(optionalParams), String(message));
  }
}
