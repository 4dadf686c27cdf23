import { Controller } from '@nestjs/common';
import { EventHandler, type EventPayload, RpcPayload } from '@vstack/contracts';
import { EpochWeightsService } from './epoch-weights.service';

/** Hears the sidecar's epoch events on the Redis transport. */
@Controller()
export class EpochController {
  constructor(private readonly weights: EpochWeightsService) {}

  @EventHandler('chain.epoch.new')
  async epoch(@RpcPayload('chain.epoch.new') event: EventPayload<'chain.epoch.new'>): Promise<void> {
    // Never rejects: the service logs what it could not do, and the next epoch tries again.
    await this.weights.onEpoch(event);
  }
}
