import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { checkBearer, ServiceMetrics } from '@vstack/observability';
import type { FastifyReply } from 'fastify';
import { RequestError, RequestErrorCode } from './errors';
import { SERVICE_CONFIG } from './tokens';

/** The part of a service's config this controller reads. */
export interface MetricsConfig {
  METRICS_TOKEN?: string | undefined;
}

/** Prometheus exposition behind a bearer token: 403 when no token is configured, 401 when it is wrong. */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: ServiceMetrics,
    @Inject(SERVICE_CONFIG) private readonly config: MetricsConfig,
  ) {}

  @Get('metrics')
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    switch (checkBearer(authorization, this.config.METRICS_TOKEN)) {
      case 'not_configured':
        throw new RequestError(
          RequestErrorCode.Forbidden,
          403,
          'metrics are disabled: set METRICS_TOKEN to enable them',
        );
      case 'missing':
        throw new RequestError(
          RequestErrorCode.Unauthorized,
          401,
          'metrics need an Authorization: Bearer token',
        );
      case 'invalid':
        throw new RequestError(RequestErrorCode.Unauthorized, 401, 'the metrics token is wrong');
      case 'ok': {
        const { contentType, body } = await this.metrics.render();
        await reply.header('content-type', contentType).send(body);
      }
    }
  }
}
