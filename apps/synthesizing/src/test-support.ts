import type { SyntheticTaskPayload } from '@vstack/queues';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SynthesizingMetrics } from './metrics';
import type { OrganicSample, SampleStore, SyntheticQueue } from './ports';
import type { SynthesizingSettings } from './settings';

// Fakes of synthesizing's ports for its unit tests.

export const silentLogger = pino({ level: 'silent' });

export function testMetrics(registry = new Registry()): SynthesizingMetrics {
  return new SynthesizingMetrics(registry);
}

export function testSettings(overrides: Partial<SynthesizingSettings> = {}): SynthesizingSettings {
  return {
    ratesPerMinute: { arithmetic: 60 },
    maxQueueDepth: 100,
    replayShare: 0,
    sampleRetentionMs: 3_600_000,
    samplesPerTaskType: 100,
    tickMs: 1_000,
    ...overrides,
  };
}

/** The synthetic queue in memory; a test takes tasks out as the validator would. */
export class MemoryQueue implements SyntheticQueue {
  readonly tasks: SyntheticTaskPayload[] = [];
  added = 0;

  depth(): Promise<number> {
    return Promise.resolve(this.tasks.length);
  }

  add(task: SyntheticTaskPayload): Promise<void> {
    this.tasks.push(task);
    this.added += 1;
    return Promise.resolve();
  }

  /** Takes `count` tasks out (or all). */
  drain(count = this.tasks.length): SyntheticTaskPayload[] {
    return this.tasks.splice(0, count);
  }
}

/** The sample store in memory, with the same rules as the Postgres one. */
export class MemorySampleStore implements SampleStore {
  readonly samples: OrganicSample[] = [];
  pruned: { olderThan: number; keepPerTaskType: number }[] = [];

  add(sample: OrganicSample): Promise<boolean> {
    if (this.samples.some((stored) => stored.sampleId === sample.sampleId)) return Promise.resolve(false);
    this.samples.push(sample);
    return Promise.resolve(true);
  }

  take(taskType: string): Promise<unknown> {
    const newest = this.samples
      .filter((sample) => sample.taskType === taskType)
      .sort((a, b) => b.sampledAt - a.sampledAt)[0];
    if (newest === undefined) return Promise.resolve(undefined);
    this.samples.splice(this.samples.indexOf(newest), 1);
    return Promise.resolve(newest.request);
  }

  prune(olderThan: number, keepPerTaskType: number): Promise<number> {
    this.pruned.push({ olderThan, keepPerTaskType });
    const before = this.samples.length;
    const kept = this.samples.filter((sample) => sample.sampledAt >= olderThan);
    this.samples.length = 0;
    this.samples.push(...kept);
    return Promise.resolve(before - kept.length);
  }

  counts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const sample of this.samples) counts[sample.taskType] = (counts[sample.taskType] ?? 0) + 1;
    return Promise.resolve(counts);
  }
}
