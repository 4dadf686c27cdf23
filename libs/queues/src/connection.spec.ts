import { describe, expect, inject, it } from 'vitest';
import { createRedisConnection, defaultStalledJobSettings, resolveStalledJobSettings } from './connection';
import { QueueError } from './errors';
import './test-support';

describe('stalled-job settings', () => {
  it('default to a killed worker resuming within 5 s (lock expiry plus one stalled check)', () => {
    const { lockDurationMs, stalledIntervalMs, maxStalledCount } = resolveStalledJobSettings();
    expect(lockDurationMs + stalledIntervalMs).toBeLessThan(5_000);
    expect(maxStalledCount).toBeGreaterThanOrEqual(1);
    expect(resolveStalledJobSettings({ lockDurationMs: 10_000 })).toEqual({
      ...defaultStalledJobSettings,
      lockDurationMs: 10_000,
    });
  });

  it('refuse a value that would fail a killed worker job or spin', () => {
    expect(() => resolveStalledJobSettings({ maxStalledCount: 0 })).toThrow(QueueError);
    expect(() => resolveStalledJobSettings({ maxStalledCount: 0 })).toThrow(
      'maxStalledCount must be a whole number of at least 1',
    );
    expect(() => resolveStalledJobSettings({ stalledIntervalMs: 0 })).toThrow(/stalledIntervalMs/);
    expect(() => resolveStalledJobSettings({ lockDurationMs: 1.5 })).toThrow(/lockDurationMs/);
  });
});

describe('createRedisConnection', () => {
  it('lets worker commands wait through reconnects and producer commands give up', async () => {
    const worker = createRedisConnection(inject('redisUrl'), 'worker');
    const producer = createRedisConnection(inject('redisUrl'), 'producer');
    try {
      expect(worker.options.maxRetriesPerRequest).toBeNull();
      expect(producer.options.maxRetriesPerRequest).toBe(3);
      expect(await worker.ping()).toBe('PONG');
    } finally {
      worker.disconnect();
      producer.disconnect();
    }
  });
});
