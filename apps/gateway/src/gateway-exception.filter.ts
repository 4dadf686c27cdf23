import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { isHttpMappedError, SERVICE_LOGGER, toErrorResponse } from '@vstack/runtime';
import type { FastifyReply } from 'fastify';
import { GatewayError, isOutage, unavailable } from './errors';
import { GatewayMetrics } from './gateway-metrics';

/**
 * The runtime's error answers, plus what the gateway adds: Retry-After on 429 and 503, an outage of Redis or
 * PostgreSQL anywhere below a route answered as a 503 (never a bare 500), and each refusal counted by code.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const mapped =
      !isHttpMappedError(error) && isOutage(error) ? unavailable('Redis or PostgreSQL', error) : error;
    const { status, body, unexpected } = toErrorResponse(mapped);
    if (unexpected) this.logger.error({ err: error }, 'unhandled error');
    else this.metrics.refused(body.error.code);
    if (reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    if (mapped instanceof GatewayError && mapped.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(mapped.retryAfterSeconds));
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
