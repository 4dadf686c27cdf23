import { Controller, Inject } from '@nestjs/common';
import { EventHandler, type EventPayload, RpcPayload } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { SamplesService } from './samples.service';

/** Hears the validator's sampled organic requests on the Redis transport. */
@Controller()
export class SamplesController {
  constructor(
    private readonly samples: SamplesService,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  @EventHandler('organic.sampled')
  async sampled(@RpcPayload('organic.sampled') event: EventPayload<'organic.sampled'>): Promise<void> {
    // Events are not redelivered: a sample lost to a database hiccup is one replay fewer, nothing more.
    try {
      await this.samples.onSampled(event);
    } catch (error) {
      this.logger.warn({ err: error, sampleId: event.sampleId }, 'could not store a sampled organic request');
    }
  }
}
