import { MetricName } from '@vstack/observability';
import { DeterministicReferenceModel } from '@vstack/protocol';
import { QueueErrorCode, type ScoreResponsePayload, UnprocessableJobError } from '@vstack/queues';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ScoringSettings } from '../settings';
import { MemoryScoreStore } from '../store/memory-score-store';
import { metricValue, settingsFor, testMetrics } from '../test-support';
import { ResponsesService } from './responses.service';

const alice = { minerUid: 1, minerHotkey: '5Alice' };

let sequence = 0;

/** A score job for `2 + 3` answered with `answer` in `latencyMs`. */
function job(
  overrides: Partial<ScoreResponsePayload> = {},
  answer: unknown = { result: '5' },
): ScoreResponsePayload {
  sequence++;
  return {
    responseId: `r-${sequence}`,
    taskId: `t-${sequence}`,
    taskType: 'arithmetic',
    purpose: 'synthetic',
    ...alice,
    request: { operation: 'add', a: '2', b: '3' },
    response: answer,
    latencyMs: 50,
    ...overrides,
  };
}

describe('ResponsesService', () => {
  let store: MemoryScoreStore;
  let now: number;
  let draws: number[];
  let telemetry: ReturnType<typeof testMetrics>;

  function service(settings: ScoringSettings = settingsFor()): ResponsesService {
    return new ResponsesService(
      store,
      settings,
      () => now,
      () => draws.shift() ?? 0,
      { referenceModel: new DeterministicReferenceModel() },
      telemetry.metrics,
    );
  }

  const scoreOf = (uid: number, taskType: string) =>
    [...store.scores.values()].find((score) => score.uid === uid && score.taskType === taskType);

  beforeEach(() => {
    store = new MemoryScoreStore();
    now = 1_000_000;
    draws = [];
    telemetry = testMetrics();
  });

  it('scores a right answer 1 and moves the miner from the prior by alpha', async () => {
    const result = await service().score(job());
    expect(result).toEqual({
      outcome: 'scored',
      score: { status: 'answered', accuracy: 1, speed: 1, combined: 1 },
    });
    expect(scoreOf(1, 'arithmetic')).toEqual({
      uid: 1,
      hotkey: '5Alice',
      taskType: 'arithmetic',
      score: 0.1,
      samples: 1,
      unscored: 0,
      updatedAt: now,
    });
    expect([...store.records.values()]).toEqual([
      expect.objectContaining({ outcome: 'scored', status: 'answered', score: 1, recordedAt: now }),
    ]);
  });

  it('combines accuracy and speed as configured: a wrong but instant answer keeps the speed share', async () => {
    const scored = await service(settingsFor({ SCORING_SPEED_WEIGHT: '0.25' })).score(
      job({}, { result: '6' }),
    );
    expect(scored).toMatchObject({ score: { accuracy: 0, speed: 1, combined: 0.25 } });
    // Halfway between the latency floor (100 ms) and the timeout (2 s): speed 0.5.
    const slow = await service().score(job({ latencyMs: 1_050 }));
    expect(slow).toMatchObject({ score: { accuracy: 1, speed: 0.5, combined: 0.85 } });
  });

  it('scores 0 for no response, a body the schema refuses and a timeout', async () => {
    const scoring = service();
    expect(await scoring.score(job({ response: null, error: 'HTTP 502' }))).toMatchObject({
      score: { status: 'no_response', combined: 0 },
    });
    expect(await scoring.score(job({}, { answer: 5 }))).toMatchObject({
      score: { status: 'invalid', combined: 0 },
    });
    expect(await scoring.score(job({ latencyMs: 2_000 }))).toMatchObject({
      score: { status: 'timeout', combined: 0 },
    });
    expect(await scoring.score(job({ response: null, error: 'timeout', latencyMs: 2_500 }))).toMatchObject({
      score: { status: 'timeout', combined: 0 },
    });
    expect(scoreOf(1, 'arithmetic')).toMatchObject({ score: 0, samples: 4 });
  });

  it('does nothing for a response it has recorded before', async () => {
    const scoring = service();
    const first = job();
    await scoring.score(first);
    const before = structuredClone([...store.scores.values()]);
    now += 5_000;
    expect(await scoring.score(first)).toEqual({ outcome: 'duplicate' });
    expect(await scoring.score({ ...first, response: { result: '6' } })).toEqual({ outcome: 'duplicate' });
    expect([...store.scores.values()]).toEqual(before);
    expect(store.records.size).toBe(1);
    expect(
      await metricValue(telemetry.registry, MetricName.scoringResponsesTotal, { outcome: 'duplicate' }),
    ).toBe(2);
  });

  it('records responses beyond the dropout cap unscored, without touching the moving score', async () => {
    const scoring = service(settingsFor({ SCORING_DROPOUT_MAX: '2', SCORING_DROPOUT_WINDOW_MS: '1000' }));
    const outcomes: string[] = [];
    for (const at of [0, 100, 200, 999, 1_000, 1_150]) {
      now = 1_000_000 + at;
      outcomes.push((await scoring.score(job())).outcome);
    }
    expect(outcomes).toEqual([
      'scored',
      'scored',
      'unscored_dropout',
      'unscored_dropout',
      'scored',
      'scored',
    ]);
    expect(scoreOf(1, 'arithmetic')).toMatchObject({ samples: 4, unscored: 2, updatedAt: 1_001_150 });
    expect(scoreOf(1, 'arithmetic')?.score).toBeCloseTo(1 - 0.9 ** 4, 12);
    const unscored = [...store.records.values()].filter((record) => record.outcome === 'unscored');
    expect(unscored).toEqual([
      expect.objectContaining({ unscoredReason: 'dropout', status: null, score: null }),
      expect.objectContaining({ unscoredReason: 'dropout', status: null, score: null }),
    ]);
  });

  it('caps each miner on its own, across task types', async () => {
    const scoring = service(settingsFor({ SCORING_DROPOUT_MAX: '1' }));
    expect((await scoring.score(job())).outcome).toBe('scored');
    expect((await scoring.score(job({ minerUid: 2, minerHotkey: '5Bob' }))).outcome).toBe('scored');
    const summary = job(
      { taskType: 'summarization', request: { text: 'One. Two. Three.' } },
      { summary: 'One.' },
    );
    expect((await scoring.score(summary)).outcome).toBe('unscored_dropout');
  });

  it('scores the configured share of organic responses and records the rest unscored', async () => {
    const scoring = service(settingsFor({ SCORING_ORGANIC_SPOT_CHECK: '0.25' }));
    draws = [0.2, 0.25, 0.9];
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await scoring.score(job({ purpose: 'organic' }))).outcome);
    expect(outcomes).toEqual(['scored', 'unscored_not_sampled', 'unscored_not_sampled']);
    expect(scoreOf(1, 'arithmetic')).toMatchObject({ samples: 1, unscored: 2 });
    // Synthetic responses are always scored, whatever the draw.
    draws = [0.99];
    expect((await scoring.score(job())).outcome).toBe('scored');
    expect(await metricValue(telemetry.registry, MetricName.scoringScore, { purpose: 'organic' })).toBe(1);
  });

  it('starts a uid over when another hotkey holds it, for every task type', async () => {
    const scoring = service();
    await scoring.score(job());
    await scoring.score(
      job({ taskType: 'summarization', request: { text: 'One. Two. Three.' } }, { summary: 'One. Two.' }),
    );
    expect([...store.scores.values()]).toHaveLength(2);
    await scoring.score(job({ minerHotkey: '5Carol' }, { result: '6' }));
    expect([...store.scores.values()]).toEqual([
      expect.objectContaining({ uid: 1, hotkey: '5Carol', taskType: 'arithmetic', score: 0.03, samples: 1 }),
    ]);
  });

  it('refuses, without retries and without a record, a job it can never score', async () => {
    const scoring = service();
    for (const bad of [
      job({ taskType: 'poetry' }),
      job({ request: { operation: 'divide', a: '1', b: '2' } }),
    ]) {
      const error = await scoring.score(bad).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnprocessableJobError);
      expect(error).toMatchObject({ code: QueueErrorCode.InvalidPayload });
    }
    expect(store.records.size).toBe(0);
    expect(
      await metricValue(telemetry.registry, MetricName.scoringResponsesTotal, { outcome: 'invalid' }),
    ).toBe(2);
  });

  it('keeps nothing of a response whose scoring failed, so the retry scores it', async () => {
    const failing = new ResponsesService(
      store,
      settingsFor(),
      () => now,
      () => 0,
      { referenceModel: { complete: () => Promise.reject(new Error('model unavailable')) } },
      telemetry.metrics,
    );
    const generation = job(
      { taskType: 'text-generation', request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } },
      { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [] },
    );
    await expect(failing.score(generation)).rejects.toThrow('model unavailable');
    expect(store.records.size).toBe(0);
    expect(store.scores.size).toBe(0);
    expect((await service().score(generation)).outcome).toBe('scored');
  });

  it('counts every outcome by task type', async () => {
    const scoring = service(settingsFor({ SCORING_DROPOUT_MAX: '1' }));
    await scoring.score(job());
    await scoring.score(job());
    const count = (outcome: string) =>
      metricValue(telemetry.registry, MetricName.scoringResponsesTotal, { task_type: 'arithmetic', outcome });
    expect(await count('scored')).toBe(1);
    expect(await count('unscored_dropout')).toBe(1);
  });
});
