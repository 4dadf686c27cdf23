import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { SYNTHESIZING_SETTINGS, SYNTHETIC_QUEUE, TIMERS, type Timers } from '../ports';
import type { SynthesizingSettings } from '../settings';
import { SyntheticStream } from './synthetic-stream';

/** Something holding connections that must be closed last. */
interface Closable {
  close(): Promise<void>;
}

/** Ticks the synthetic stream from start-up to shutdown, one tick at a time; a failed tick is logged and retried. */
@Injectable()
export class SyntheticStreamRunner implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly stream: SyntheticStream,
    @Inject(SYNTHESIZING_SETTINGS) private readonly settings: SynthesizingSettings,
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(SYNTHETIC_QUEUE) private readonly queue: Partial<Closable>,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close?.();
  }

  private async run(): Promise<void> {
    let failing = false;
    while (!this.stop.signal.aborted) {
      try {
        const result = await this.stream.tick();
        if (failing) this.logger.info('adding synthetic tasks again');
        failing = false;
        if (result.added.length > 0) {
          this.logger.debug({ depth: result.depth, added: result.added.length }, 'synthetic tasks added');
        }
      } catch (error) {
        if (!failing) this.logger.warn({ err: error }, 'could not add synthetic tasks; trying again');
        failing = true;
      }
      await this.timers.sleep(this.settings.tickMs, this.stop.signal);
    }
  }
}
