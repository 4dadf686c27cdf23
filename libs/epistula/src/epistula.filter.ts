import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EpistulaError } from './errors';

/**
 * Answers EpistulaErrors as `{ "error": { "code", "message", "details"? } }` with their status, for Nest apps that do
 * not use the stack's own exception filter (which already does this for every error with `code` and `httpStatus`).
 */
@Catch(EpistulaError)
export class EpistulaExceptionFilter implements ExceptionFilter<EpistulaError> {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(error: EpistulaError, host: ArgumentsHost): void {
    const body: { error: { code: string; message: string; details?: unknown } } = {
      error: { code: error.code, message: error.message },
    };
    if (error.details !== undefined) body.error.details = error.details;
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, error.httpStatus);
  }
}
