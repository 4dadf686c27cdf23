import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Timers } from '../ports';
import type { SynthesizingSettings } from '../settings';
import { MemorySampleStore, silentLogger, testMetrics, testSettings } from '../test-support';
import { SamplesService } from './samples.service';

const timers: Timers = { sleep: () => Promise.resolve() };

describe('SamplesService', () => {
  const now = 1_700_000_000_000;
  let store: MemorySampleStore;
  let registry: Registry;

  function service(settings: Partial<SynthesizingSettings> = {}): SamplesService {
    return new SamplesService(
      testSettings(settings),
      store,
      () => now,
      timers,
      testMetrics(registry),
      silentLogger,
    );
  }

  function event(overrides: Record<string, unknown> = {}) {
    return {
      sampleId: '6f1c2b8e-8d9a-4c1e-9f3a-2b7d5e4c3a10',
      taskType: 'arithmetic',
      request: { operation: 'add', a: '1', b: '2' },
      sampledAt: '2023-11-14T22:13:20.000Z',
      ...overrides,
    };
  }

  beforeEach(() => {
    store = new MemorySampleStore();
    registry = new Registry();
  });

  it('stores a sample once, with the request as its schema reads it', async () => {
    const samples = service();
    expect(
      await samples.onSampled(event({ request: { operation: 'add', a: '1', b: '2', stream: true } })),
    ).toBe('stored');
    expect(await samples.onSampled(event())).toBe('duplicate');
    expect(store.samples).toEqual([
      {
        sampleId: '6f1c2b8e-8d9a-4c1e-9f3a-2b7d5e4c3a10',
        taskType: 'arithmetic',
        request: { operation: 'add', a: '1', b: '2' },
        sampledAt: 1_700_000_000_000,
      },
    ]);
  });

  it('refuses a sample of an unknown task type or with a request its type refuses', async () => {
    const samples = service();
    expect(await samples.onSampled(event({ taskType: 'painting' }))).toBe('invalid');
    expect(await samples.onSampled(event({ request: { operation: 'divide' } }))).toBe('invalid');
    expect(store.samples).toEqual([]);
    const counted = await registry.getSingleMetric('vstack_synthesizing_samples_total')?.get();
    expect(
      counted?.values.map((value) => [value.labels['task_type'], value.labels['outcome'], value.value]),
    ).toEqual([
      ['unknown', 'invalid', 1],
      ['arithmetic', 'invalid', 1],
    ]);
  });

  it('stores nothing when the cap is 0', async () => {
    expect(await service({ samplesPerTaskType: 0 }).onSampled(event())).toBe('disabled');
    expect(store.samples).toEqual([]);
  });

  it('sweeps samples past retention and beyond the cap, and counts what is left', async () => {
    await store.add({ sampleId: 'old', taskType: 'arithmetic', request: {}, sampledAt: now - 7_200_000 });
    await store.add({ sampleId: 'new', taskType: 'arithmetic', request: {}, sampledAt: now - 60_000 });
    const deleted = await service({ sampleRetentionMs: 3_600_000, samplesPerTaskType: 7 }).sweep();
    expect(deleted).toBe(1);
    expect(store.pruned).toEqual([{ olderThan: now - 3_600_000, keepPerTaskType: 7 }]);
    const stored = await registry.getSingleMetric('vstack_synthesizing_samples_stored')?.get();
    expect(
      Object.fromEntries(stored?.values.map((value) => [value.labels['task_type'], value.value]) ?? []),
    ).toEqual({
      arithmetic: 1,
      summarization: 0,
      'text-generation': 0,
    });
  });
});
