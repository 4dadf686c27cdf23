import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { type Clock, CLOCK, SCORE_STORE, SCORING_SETTINGS } from '../ports';
import type { ScoringSettings } from '../settings';
import type { ScoreStore } from '../store/score-store';

/** How often old score records are looked for. */
export const PRUNE_INTERVAL_MS = 3_600_000;

/** Deletes score records older than the retention, at start-up and every hour. Moving scores are kept. */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(SCORE_STORE) private readonly store: ScoreStore,
    @Inject(SCORING_SETTINGS) private readonly settings: ScoringSettings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Deletes the records older than the retention now; returns how many. */
  async prune(): Promise<number> {
    const before = this.clock() - this.settings.retentionMs;
    const deleted = await this.store.deleteRecordsBefore(before);
    if (deleted > 0) {
      this.logger.info({ deleted, before: new Date(before).toISOString() }, 'deleted old score records');
    }
    return deleted;
  }

  onApplicationBootstrap(): void {
    this.schedule();
    this.timer = setInterval(() => {
      this.schedule();
    }, PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.running) return;
    this.running = this.prune()
      .then(
        () => undefined,
        (error: unknown) => {
          this.logger.warn({ err: error }, 'could not delete old score records; trying again in an hour');
        },
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
