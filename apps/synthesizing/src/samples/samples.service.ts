import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { OrganicSampledEvent } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { type AnyTaskType, taskTypes } from '@vstack/protocol';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { type SampleOutcome, SynthesizingMetrics } from '../metrics';
import {
  CLOCK,
  type Clock,
  SAMPLE_STORE,
  type SampleStore,
  SYNTHESIZING_SETTINGS,
  TIMERS,
  type Timers,
} from '../ports';
import type { SynthesizingSettings } from '../settings';

/** How often the retention sweep runs, in ms. */
export const SAMPLE_SWEEP_INTERVAL_MS = 60_000;

/**
 * Sampled organic requests: stores the ones the validator publishes (checked against their task type's schema
 * again, once per sample id), and deletes those past their retention age or beyond the per-task-type cap, once a
 * minute. With a cap of 0 nothing is stored.
 */
@Injectable()
export class SamplesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly stop = new AbortController();
  private sweeping: Promise<void> | undefined;

  constructor(
    @Inject(SYNTHESIZING_SETTINGS) private readonly settings: SynthesizingSettings,
    @Inject(SAMPLE_STORE) private readonly store: SampleStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TIMERS) private readonly timers: Timers,
    private readonly metrics: SynthesizingMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Stores one sampled organic request. */
  async onSampled(event: OrganicSampledEvent): Promise<SampleOutcome> {
    const outcome = await this.keep(event);
    // Only known task types become label values: event payloads are not trusted to be few.
    this.metrics.samples.inc({
      task_type: taskTypes.has(event.taskType) ? event.taskType : 'unknown',
      outcome,
    });
    return outcome;
  }

  /** Deletes old samples and samples beyond the cap; returns how many went. */
  async sweep(): Promise<number> {
    const deleted = await this.store.prune(
      this.clock() - this.settings.sampleRetentionMs,
      this.settings.samplesPerTaskType,
    );
    const counts = await this.store.counts();
    this.metrics.samplesStored.reset();
    for (const name of taskTypes.names)
      this.metrics.samplesStored.set({ task_type: name }, counts[name] ?? 0);
    if (deleted > 0) this.logger.debug({ deleted }, 'deleted sampled organic requests past retention');
    return deleted;
  }

  onApplicationBootstrap(): void {
    this.sweeping = this.sweepLoop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stop.abort();
    await this.sweeping;
  }

  private async keep(event: OrganicSampledEvent): Promise<SampleOutcome> {
    if (this.settings.samplesPerTaskType === 0) return 'disabled';
    if (!taskTypes.has(event.taskType)) return 'invalid';
    const taskType = taskTypes.require(event.taskType) as AnyTaskType;
    const parsed = taskType.requestSchema.safeParse(event.request);
    if (!parsed.success) return 'invalid';
    const stored = await this.store.add({
      sampleId: event.sampleId,
      taskType: event.taskType,
      request: parsed.data,
      sampledAt: Date.parse(event.sampledAt),
    });
    return stored ? 'stored' : 'duplicate';
  }

  private async sweepLoop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        await this.sweep();
      } catch (error) {
        this.logger.warn({ err: error }, 'could not sweep the sampled organic requests; trying again');
      }
      await this.timers.sleep(SAMPLE_SWEEP_INTERVAL_MS, this.stop.signal);
    }
  }
}
