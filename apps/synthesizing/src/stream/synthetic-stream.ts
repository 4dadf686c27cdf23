import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AnyTaskType, mulberry32, type RandomSource, randomUint32, taskTypes } from '@vstack/protocol';
import { SynthesizingMetrics } from '../metrics';
import {
  CLOCK,
  type Clock,
  RANDOM,
  SAMPLE_STORE,
  type SampleStore,
  SYNTHESIZING_SETTINGS,
  SYNTHETIC_QUEUE,
  type SyntheticQueue,
} from '../ports';
import type { SynthesizingSettings } from '../settings';

// Credit adds up in floating point: six tenths are 0.6000000000000001, ten of them 0.9999999999999999.
const CREDIT_EPSILON = 1e-9;

/** What one tick did. */
export interface TickResult {
  /** Queue depth before adding. */
  readonly depth: number;
  /** The queue was at its maximum depth: nothing was added. */
  readonly backpressure: boolean;
  /** Tasks added, as task type and source. */
  readonly added: readonly { readonly taskType: string; readonly source: 'generated' | 'replayed' }[];
}

/**
 * Keeps a stream of synthetic challenges on the synthetic queue. Each task type earns credit at its configured
 * rate (tasks per minute); every tick, the tasks due are added, task types taking turns, as long as the queue
 * is shallower than its maximum depth. Credit never piles up beyond two ticks' worth, so a queue that drains
 * after a pause gets the configured rate, not a burst. A share of the tasks replays a sampled organic request
 * of the same task type (taken from the store, so each is replayed once) instead of a generated challenge.
 */
@Injectable()
export class SyntheticStream {
  private readonly credit = new Map<string, number>();
  private lastTick: number | undefined;
  private turn = 0;

  constructor(
    @Inject(SYNTHESIZING_SETTINGS) private readonly settings: SynthesizingSettings,
    @Inject(SYNTHETIC_QUEUE) private readonly queue: SyntheticQueue,
    @Inject(SAMPLE_STORE) private readonly samples: SampleStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: RandomSource,
    private readonly metrics: SynthesizingMetrics,
  ) {}

  /** Earns credit for the time since the last tick and adds the tasks due, within the queue's room. */
  async tick(): Promise<TickResult> {
    const now = this.clock();
    const elapsed = this.lastTick === undefined ? this.settings.tickMs : Math.max(0, now - this.lastTick);
    this.lastTick = now;
    const types = Object.keys(this.settings.ratesPerMinute);
    for (const taskType of types) {
      const rate = this.settings.ratesPerMinute[taskType] ?? 0;
      const cap = Math.max(1, (2 * rate * this.settings.tickMs) / 60_000);
      this.credit.set(taskType, Math.min(cap, (this.credit.get(taskType) ?? 0) + (rate * elapsed) / 60_000));
    }
    const depth = await this.queue.depth();
    this.metrics.queueDepth.set(depth);
    if (depth >= this.settings.maxQueueDepth) {
      this.metrics.backpressure.inc();
      return { depth, backpressure: true, added: [] };
    }
    let room = this.settings.maxQueueDepth - depth;
    const added: { taskType: string; source: 'generated' | 'replayed' }[] = [];
    const order = types.map((_, index) => types[(index + this.turn) % types.length] ?? '');
    this.turn = types.length === 0 ? 0 : (this.turn + 1) % types.length;
    let progress = true;
    while (room > 0 && progress) {
      progress = false;
      for (const taskType of order) {
        if (room === 0) break;
        const credit = this.credit.get(taskType) ?? 0;
        if (credit < 1 - CREDIT_EPSILON) continue;
        const source = await this.add(taskType, now);
        this.credit.set(taskType, credit - 1);
        added.push({ taskType, source });
        room -= 1;
        progress = true;
      }
    }
    return { depth, backpressure: false, added };
  }

  private async add(name: string, now: number): Promise<'generated' | 'replayed'> {
    const taskType = taskTypes.require(name) as AnyTaskType;
    let request = await this.replay(taskType);
    const source = request === undefined ? 'generated' : 'replayed';
    // Each challenge from its own seed: one draw per task, whatever the generator does with its randomness.
    request ??= taskType.generate(mulberry32(randomUint32(this.random)));
    await this.queue.add({
      taskId: `syn-${randomUUID()}`,
      taskType: name,
      request,
      createdAt: new Date(now).toISOString(),
    });
    this.metrics.tasks.inc({ task_type: name, source });
    return source;
  }

  /** A stored organic request to replay, when this task's draw says so and one is stored. */
  private async replay(taskType: AnyTaskType): Promise<unknown> {
    if (this.settings.replayShare <= 0 || !(this.random() < this.settings.replayShare)) return undefined;
    const stored = await this.samples.take(taskType.name);
    if (stored === undefined) return undefined;
    // Stored under an older schema, perhaps: only a request the task type accepts today is replayed.
    const parsed = taskType.requestSchema.safeParse(stored);
    return parsed.success ? parsed.data : undefined;
  }
}
