import { Controller, Inject } from '@nestjs/common';
import {
  EventHandler,
  type EventPayload,
  RpcHandler,
  RpcPayload,
  type RpcRequest,
  type RpcResponse,
  rpcError,
} from '@vstack/contracts';
import { MinerHealth } from '../health/miner-health';
import { ManagingError } from '../errors';
import { ManagingMetrics } from '../metrics';
import { MetagraphSync } from '../registry/metagraph-sync';
import { MinerRegistry } from '../registry/miner-registry';
import { MinerSelector } from '../selection/miner-selector';

/** The RPC managing answers (miners.select, miners.report) and the chain events it listens to. */
@Controller()
export class ManagingRpcController {
  constructor(
    @Inject(MinerSelector) private readonly selector: MinerSelector,
    @Inject(MinerRegistry) private readonly registry: MinerRegistry,
    @Inject(MinerHealth) private readonly health: MinerHealth,
    @Inject(MetagraphSync) private readonly sync: MetagraphSync,
    @Inject(ManagingMetrics) private readonly metrics: ManagingMetrics,
  ) {}

  @RpcHandler('miners.select')
  async select(
    @RpcPayload('miners.select') request: RpcRequest<'miners.select'>,
  ): Promise<RpcResponse<'miners.select'>> {
    try {
      const result = await this.selector.select(request);
      this.metrics.selection(request.purpose, result, request.count);
      return {
        miners: result.miners.map(({ uid, hotkey, axon }) => ({ uid, hotkey, axon })),
        ...(result.reasonCode === undefined ? {} : { reasonCode: result.reasonCode, reason: result.reason }),
      };
    } catch (error) {
      if (error instanceof ManagingError) {
        this.metrics.selectionFailed(request.purpose, error.code);
        throw rpcError(error.code, error.message);
      }
      this.metrics.selectionFailed(request.purpose, 'internal');
      throw error;
    }
  }

  @RpcHandler('miners.report')
  report(@RpcPayload('miners.report') report: RpcRequest<'miners.report'>): RpcResponse<'miners.report'> {
    const miner = this.registry.miner(report.uid, report.hotkey);
    if (!miner) {
      // A report about a uid that now belongs to another hotkey (or left) says nothing about today's miner.
      this.metrics.report('unknown_miner');
      return { accepted: true };
    }
    this.health.report(miner.key, report.ok, report.latencyMs);
    this.metrics.report(report.ok ? 'ok' : 'failed');
    return { accepted: true };
  }

  @EventHandler('chain.metagraph.changed')
  async metagraphChanged(
    @RpcPayload('chain.metagraph.changed') event: EventPayload<'chain.metagraph.changed'>,
  ): Promise<void> {
    if (event.netuid !== this.registry.netuid) return;
    const current = this.registry.snapshot()?.block;
    if (current !== undefined && event.block <= current) return;
    await this.sync.refresh();
  }
}
