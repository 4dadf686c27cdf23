import type { MinerReport, RpcClient } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import type { MinerDirectory, MinerSelection, TaskEvents, WeightsSource } from './ports';

/** managing over RPC. */
export class RpcMinerDirectory implements MinerDirectory {
  constructor(
    private readonly rpc: RpcClient,
    private readonly logger: Logger,
  ) {}

  select(request: Parameters<MinerDirectory['select']>[0]): Promise<MinerSelection> {
    return this.rpc.send('miners.select', request);
  }

  async report(report: MinerReport): Promise<void> {
    try {
      await this.rpc.send('miners.report', report);
    } catch (error) {
      this.logger.warn({ err: error, uid: report.uid }, 'managing did not take a miner report');
    }
  }
}

/** scoring over RPC. */
export class RpcWeightsSource implements WeightsSource {
  constructor(private readonly rpc: RpcClient) {}

  async weights(netuid: number): Promise<Record<string, number>> {
    const { weights } = await this.rpc.send('scores.weights', { netuid });
    return weights;
  }
}

/** The validator's events on the Redis transport; a lost event is logged, never thrown. */
export class RpcTaskEvents implements TaskEvents {
  constructor(
    private readonly rpc: RpcClient,
    private readonly logger: Logger,
  ) {}

  progress(event: Parameters<TaskEvents['progress']>[0]): Promise<void> {
    return this.safely('task.progress', event.taskId, () => this.rpc.emit('task.progress', event));
  }

  chunk(event: Parameters<TaskEvents['chunk']>[0]): Promise<void> {
    return this.safely('task.chunk', event.taskId, () => this.rpc.emit('task.chunk', event));
  }

  sampled(event: Parameters<TaskEvents['sampled']>[0]): Promise<void> {
    return this.safely('organic.sampled', event.sampleId, () => this.rpc.emit('organic.sampled', event));
  }

  private async safely(pattern: string, id: string, emit: () => Promise<void>): Promise<void> {
    try {
      await emit();
    } catch (error) {
      this.logger.warn({ err: error, pattern, id }, 'could not publish an event');
    }
  }
}
