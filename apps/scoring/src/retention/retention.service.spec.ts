import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryScoreStore } from '../store/memory-score-store';
import type { ScoreRecord } from '../store/score-store';
import { settingsFor, silentLogger } from '../test-support';
import { PRUNE_INTERVAL_MS, RetentionService } from './retention.service';

const day = 86_400_000;

function record(responseId: string, recordedAt: number): ScoreRecord {
  return {
    responseId,
    taskId: responseId,
    taskType: 'arithmetic',
    purpose: 'synthetic',
    minerUid: 1,
    minerHotkey: '5Alice',
    outcome: 'unscored',
    unscoredReason: 'dropout',
    status: null,
    accuracy: null,
    speed: null,
    score: null,
    latencyMs: 10,
    error: null,
    recordedAt,
  };
}

describe('RetentionService', () => {
  let store: MemoryScoreStore;
  let now: number;
  let retention: RetentionService;

  beforeEach(() => {
    vi.useFakeTimers();
    store = new MemoryScoreStore();
    now = 100 * day;
    retention = new RetentionService(
      store,
      settingsFor({ SCORING_RETENTION_DAYS: '7' }),
      () => now,
      silentLogger(),
    );
  });

  afterEach(async () => {
    await retention.onModuleDestroy();
    vi.useRealTimers();
  });

  it('deletes the records older than the retention and keeps the rest', async () => {
    store.records.set('old', record('old', now - 7 * day - 1));
    store.records.set('edge', record('edge', now - 7 * day));
    store.records.set('new', record('new', now - day));
    expect(await retention.prune()).toBe(1);
    expect([...store.records.keys()]).toEqual(['edge', 'new']);
  });

  it('prunes at start-up and then every hour', async () => {
    store.records.set('a', record('a', now - 8 * day));
    retention.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.records.size).toBe(0);
    store.records.set('b', record('b', now - 6 * day));
    now += 2 * day;
    await vi.advanceTimersByTimeAsync(PRUNE_INTERVAL_MS - 1);
    expect(store.records.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.records.size).toBe(0);
  });

  it('tries again at the next hour when the store fails', async () => {
    const failing = vi.spyOn(store, 'deleteRecordsBefore').mockRejectedValueOnce(new Error('database away'));
    store.records.set('a', record('a', now - 8 * day));
    retention.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.records.size).toBe(1);
    await vi.advanceTimersByTimeAsync(PRUNE_INTERVAL_MS);
    expect(failing).toHaveBeenCalledTimes(2);
    expect(store.records.size).toBe(0);
  });
});
