import { Controller, Get, Inject, Res } from '@nestjs/common';
import { runReadiness } from '@vstack/observability';
import { ReadinessRegistry } from '@vstack/runtime';
import type { FastifyReply } from 'fastify';
import { METAGRAPH_SOURCE, type MetagraphSource } from './metagraph-source';
import { MINER_HOTKEY_ADDRESS } from './tokens';

/** `GET /` says the proxy is up; `GET /status` reports each component (upstreams, metagraph, Redis). */
@Controller()
export class StatusController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(METAGRAPH_SOURCE) private readonly metagraph: MetagraphSource,
    @Inject(MINER_HOTKEY_ADDRESS) private readonly hotkey: string,
  ) {}

  @Get()
  health(): { status: 'ok'; service: 'miner-proxy'; hotkey: string } {
    return { status: 'ok', service: 'miner-proxy', hotkey: this.hotkey };
  }

  @Get('status')
  async status(@Res() reply: FastifyReply): Promise<void> {
    const report = await runReadiness(this.readiness.checks());
    await reply.status(report.status === 'ok' ? 200 : 503).send({
      service: 'miner-proxy',
      hotkey: this.hotkey,
      ...report,
      metagraph: this.metagraph.status(),
    });
  }
}
