import { mulberry32, taskTypes } from '@vstack/protocol';
import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SynthesizingSettings } from '../settings';
import { MemoryQueue, MemorySampleStore, testMetrics, testSettings } from '../test-support';
import { SyntheticStream } from './synthetic-stream';

describe('SyntheticStream', () => {
  let now: number;
  let queue: MemoryQueue;
  let samples: MemorySampleStore;
  let registry: Registry;
  let draws: number[];
  let generator: () => number;

  function stream(settings: Partial<SynthesizingSettings> = {}): SyntheticStream {
    return new SyntheticStream(
      testSettings(settings),
      queue,
      samples,
      () => now,
      () => draws.shift() ?? generator(),
      testMetrics(registry),
    );
  }

  async function run(synthetic: SyntheticStream, ticks: number, tickMs = 1_000): Promise<void> {
    for (let i = 0; i < ticks; i += 1) {
      await synthetic.tick();
      now += tickMs;
    }
  }

  async function metric(name: string): Promise<number> {
    const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    return values.reduce((sum, value) => sum + value.value, 0);
  }

  beforeEach(() => {
    now = 1_700_000_000_000;
    queue = new MemoryQueue();
    samples = new MemorySampleStore();
    registry = new Registry();
    draws = [];
    generator = mulberry32(7);
  });

  it('adds each task type at its rate per minute', async () => {
    const synthetic = stream({ ratesPerMinute: { arithmetic: 60, summarization: 6, 'text-generation': 30 } });
    await run(synthetic, 60);
    const count = (taskType: string) => queue.tasks.filter((task) => task.taskType === taskType).length;
    expect(count('arithmetic')).toBe(60);
    expect(count('summarization')).toBe(6);
    expect(count('text-generation')).toBe(30);
  });

  it('adds valid generated challenges under fresh task ids', async () => {
    await run(stream({ ratesPerMinute: { arithmetic: 120, summarization: 60 } }), 3);
    for (const task of queue.tasks) {
      expect(taskTypes.require(task.taskType).requestSchema.safeParse(task.request).success).toBe(true);
      expect(task.taskId).toMatch(/^syn-[0-9a-f-]{36}$/);
      expect(task.createdAt).toBe(new Date(Date.parse(task.createdAt)).toISOString());
    }
    expect(new Set(queue.tasks.map((task) => task.taskId)).size).toBe(queue.tasks.length);
  });

  it('stops adding while the queue is at its maximum depth and resumes at the rate, not in a burst', async () => {
    const synthetic = stream({ ratesPerMinute: { arithmetic: 120 }, maxQueueDepth: 5 });
    await run(synthetic, 10);
    expect(queue.tasks).toHaveLength(5); // 2 per tick, but the queue holds at most 5
    expect(await metric('vstack_synthesizing_backpressure_total')).toBeGreaterThanOrEqual(7);
    expect(await metric('vstack_synthesizing_queue_depth')).toBe(5);

    queue.drain();
    await run(synthetic, 1);
    // Two ticks' worth of credit at most: the paused seconds are not made up for.
    expect(queue.tasks.length).toBeLessThanOrEqual(4);
  });

  it('lets task types take turns when the queue has room for fewer tasks than are due', async () => {
    const synthetic = stream({ ratesPerMinute: { arithmetic: 60, summarization: 60 }, maxQueueDepth: 1 });
    const firsts: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await synthetic.tick();
      now += 1_000;
      firsts.push(...queue.drain().map((task) => task.taskType));
    }
    expect(firsts).toEqual(['arithmetic', 'summarization', 'arithmetic', 'summarization']);
  });

  it('replays a share of stored organic requests, each once, newest first', async () => {
    await samples.add({
      sampleId: 'a',
      taskType: 'arithmetic',
      request: { operation: 'add', a: '5', b: '6' },
      sampledAt: now - 2_000,
    });
    await samples.add({
      sampleId: 'b',
      taskType: 'arithmetic',
      request: { operation: 'multiply', a: '7', b: '8' },
      sampledAt: now - 1_000,
    });
    draws = [0.1, 0.1, 0.1];
    const result = await stream({ ratesPerMinute: { arithmetic: 180 }, replayShare: 0.5 }).tick();
    expect(result.added.map((added) => added.source)).toEqual(['replayed', 'replayed', 'generated']);
    expect(queue.tasks.map((task) => task.request).slice(0, 2)).toEqual([
      { operation: 'multiply', a: '7', b: '8' },
      { operation: 'add', a: '5', b: '6' },
    ]);
    expect(samples.samples).toEqual([]);
  });

  it('generates instead of replaying when the draw says so or the stored request no longer fits', async () => {
    await samples.add({ sampleId: 'a', taskType: 'arithmetic', request: { a: 'x' }, sampledAt: now });
    draws = [0.9, 0.5, 0.1]; // no replay, the first challenge's seed, replay
    const result = await stream({ ratesPerMinute: { arithmetic: 120 }, replayShare: 0.5 }).tick();
    expect(result.added.map((added) => added.source)).toEqual(['generated', 'generated']);
    expect(samples.samples).toEqual([]); // taken by the second draw, found invalid, dropped
  });

  it('adds nothing for task types without a rate', async () => {
    await run(stream({ ratesPerMinute: {} }), 5);
    expect(queue.added).toBe(0);
  });
});
