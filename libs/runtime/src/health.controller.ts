import { Controller, Get, Inject, Res } from '@nestjs/common';
import { runReadiness } from '@vstack/observability';
import type { FastifyReply } from 'fastify';
import { ReadinessRegistry } from './readiness.registry';
import { SERVICE_NAME } from './tokens';

/** Liveness (the process answers) and readiness (its dependencies answer). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get('live')
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.service };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await runReadiness(this.readiness.checks());
    await reply.status(report.status === 'ok' ? 200 : 503).send({ service: this.service, ...report });
  }
}
