import { Controller, Inject } from '@nestjs/common';
import {
  EventHandler,
  type EventPayload,
  RpcHandler,
  RpcPayload,
  type RpcRequest,
  type RpcResponse,
} from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { LeaderboardService } from './leaderboard/leaderboard.service';
import { WeightsService } from './weights/weights.service';

/** Scoring on the Redis transport: hears the sidecar's epoch events, answers the scoring queries. */
@Controller()
export class ScoringRpcController {
  constructor(
    private readonly weights: WeightsService,
    private readonly leaderboard: LeaderboardService,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  @EventHandler('chain.epoch.new')
  async epoch(@RpcPayload('chain.epoch.new') event: EventPayload<'chain.epoch.new'>): Promise<void> {
    // Events are not delivered again: a failure is logged, and the next epoch's vector covers the miss.
    try {
      await this.weights.onEpoch(event);
    } catch (error) {
      this.logger.error({ err: error, ...event }, 'could not send the weights of this epoch');
    }
  }

  @RpcHandler('scores.weights')
  async currentWeights(
    @RpcPayload('scores.weights') request: RpcRequest<'scores.weights'>,
  ): Promise<RpcResponse<'scores.weights'>> {
    return { weights: await this.weights.current(request.netuid) };
  }

  @RpcHandler('scores.miners')
  async minerScores(
    @RpcPayload('scores.miners') request: RpcRequest<'scores.miners'>,
  ): Promise<RpcResponse<'scores.miners'>> {
    return { scores: await this.leaderboard.taskTypeScores(request.netuid, request.taskType) };
  }
}
