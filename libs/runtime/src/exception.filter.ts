import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import type { FastifyReply } from 'fastify';
import { type ErrorBody, isHttpMappedError, RequestErrorCode } from './errors';
import { SERVICE_LOGGER } from './tokens';

const statusCodes: Record<number, RequestErrorCode> = {
  400: RequestErrorCode.InvalidRequest,
  401: RequestErrorCode.Unauthorized,
  403: RequestErrorCode.Forbidden,
  404: RequestErrorCode.NotFound,
  405: RequestErrorCode.MethodNotAllowed,
  413: RequestErrorCode.BodyTooLarge,
  415: RequestErrorCode.UnsupportedMediaType,
};

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message: string;
}

/** Maps an error to the status and JSON body the client sees. Unknown errors become a bare 500. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody; unexpected: boolean } {
  if (isHttpMappedError(error)) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: error.httpStatus, body, unexpected: false };
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's body parsing errors; the original is the cause.
    if (
      error.cause instanceof Error &&
      (error.cause as FastifyLikeError).code === 'FST_ERR_CTP_INVALID_JSON_BODY'
    ) {
      return toErrorResponse(error.cause);
    }
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'object' && 'message' in response && typeof response.message === 'string'
        ? response.message
        : error.message;
    const code =
      statusCodes[status] ?? (status >= 500 ? RequestErrorCode.Internal : RequestErrorCode.InvalidRequest);
    return { status, body: { error: { code, message } }, unexpected: status >= 500 };
  }
  if (error instanceof Error) {
    // Errors Fastify raises while reading the request (bad JSON, body too large, wrong content type).
    const fastifyError = error as FastifyLikeError;
    if (
      typeof fastifyError.statusCode === 'number' &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500
    ) {
      const status = fastifyError.statusCode;
      const code =
        fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
          ? RequestErrorCode.MalformedJson
          : (statusCodes[status] ?? RequestErrorCode.InvalidRequest);
      const message =
        code === RequestErrorCode.MalformedJson ? 'the request body is not valid JSON' : error.message;
      return { status, body: { error: { code, message } }, unexpected: false };
    }
  }
  return {
    status: 500,
    body: { error: { code: RequestErrorCode.Internal, message: 'internal error' } },
    unexpected: true,
  };
}

/** The one filter that turns every error into `{ "error": { "code", "message" } }` without leaking internals. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(SERVICE_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, unexpected } = toErrorResponse(error);
    if (unexpected) this.logger.error({ err: error }, 'unhandled error');
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
