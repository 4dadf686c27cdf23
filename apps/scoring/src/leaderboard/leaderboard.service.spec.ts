import { beforeEach, describe, expect, it } from 'vitest';
import { ScoringApiErrorCode } from '../errors';
import { MemoryScoreStore } from '../store/memory-score-store';
import type { MinerTaskScore, ScoreRecord } from '../store/score-store';
import { settingsFor } from '../test-support';
import { LeaderboardService } from './leaderboard.service';

function taskScore(
  uid: number,
  taskType: string,
  score: number,
  counts = { samples: 4, unscored: 1 },
): MinerTaskScore {
  return { uid, hotkey: `5Miner${uid}`, taskType, score, ...counts, updatedAt: Date.UTC(2026, 0, 1) };
}

function record(uid: number, responseId: string, recordedAt: number): ScoreRecord {
  return {
    responseId,
    taskId: `t-${responseId}`,
    taskType: 'arithmetic',
    purpose: 'synthetic',
    minerUid: uid,
    minerHotkey: `5Miner${uid}`,
    outcome: 'scored',
    unscoredReason: null,
    status: 'answered',
    accuracy: 1,
    speed: 0.5,
    score: 0.85,
    latencyMs: 1_050,
    error: null,
    recordedAt,
  };
}

describe('LeaderboardService', () => {
  let store: MemoryScoreStore;
  let leaderboard: LeaderboardService;

  beforeEach(() => {
    store = new MemoryScoreStore();
    leaderboard = new LeaderboardService(
      store,
      settingsFor({ SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=1,summarization=1' }),
    );
    for (const score of [
      taskScore(1, 'arithmetic', 0.2),
      taskScore(1, 'summarization', 1),
      taskScore(2, 'arithmetic', 0.9),
      taskScore(2, 'summarization', 0.5),
      taskScore(3, 'arithmetic', 1),
      taskScore(3, 'text-generation', 1),
      taskScore(4, 'arithmetic', 0, { samples: 0, unscored: 5 }),
    ]) {
      store.scores.set(`${score.uid}/${score.taskType}`, score);
    }
  });

  it('ranks miners by their moving scores mixed as configured, with counts per task type', async () => {
    const view = await leaderboard.leaderboard();
    expect(view.taskTypeWeights).toEqual({ arithmetic: 1, summarization: 1 });
    expect(view.miners.map(({ rank, uid, score }) => ({ rank, uid, score }))).toEqual([
      { rank: 1, uid: 2, score: 0.7 },
      { rank: 2, uid: 1, score: 0.6 },
      // text-generation does not count in the mix; summarization is missing and counts 0.
      { rank: 3, uid: 3, score: 0.5 },
      { rank: 4, uid: 4, score: 0 },
    ]);
    expect(view.miners[0]).toMatchObject({
      hotkey: '5Miner2',
      scored: 8,
      unscored: 2,
      taskTypes: {
        arithmetic: { score: 0.9, scored: 4, unscored: 1, updatedAt: '2026-01-01T00:00:00.000Z' },
        summarization: { score: 0.5, scored: 4, unscored: 1, updatedAt: '2026-01-01T00:00:00.000Z' },
      },
    });
    expect(view.miners[3]?.taskTypes).toEqual({
      arithmetic: { score: 0, scored: 0, unscored: 5, updatedAt: null },
    });
  });

  it('ranks by one task type and lists at most `limit` miners', async () => {
    const view = await leaderboard.leaderboard({ taskType: 'summarization' as never, limit: 2 });
    expect(view.miners.map(({ uid }) => uid)).toEqual([1, 2]);
  });

  it("shows one miner's scores and its latest records, newest first", async () => {
    store.records.set('a', record(2, 'a', 1_000));
    store.records.set('b', record(2, 'b', 3_000));
    store.records.set('c', record(2, 'c', 2_000));
    store.records.set('d', record(1, 'd', 4_000));
    const miner = await leaderboard.miner(2, 2);
    expect(miner).toMatchObject({ uid: 2, hotkey: '5Miner2', score: 0.7, scored: 8, unscored: 2 });
    expect(miner.records.map((entry) => [entry.responseId, entry.recordedAt])).toEqual([
      ['b', '1970-01-01T00:00:03.000Z'],
      ['c', '1970-01-01T00:00:02.000Z'],
    ]);
    expect(miner.records[0]).toMatchObject({
      hotkey: '5Miner2',
      status: 'answered',
      score: 0.85,
      latencyMs: 1_050,
    });
  });

  it('shows a miner that only has records, and refuses a uid it knows nothing about', async () => {
    store.records.set('e', record(7, 'e', 1_000));
    expect(await leaderboard.miner(7)).toMatchObject({ uid: 7, hotkey: '5Miner7', score: 0, taskTypes: {} });
    await expect(leaderboard.miner(8)).rejects.toMatchObject({
      code: ScoringApiErrorCode.MinerNotFound,
      httpStatus: 404,
    });
  });

  it("lists each scored miner's moving score for one task type, for its own subnet only", async () => {
    expect(await leaderboard.taskTypeScores(1, 'arithmetic')).toEqual([
      { uid: 1, hotkey: '5Miner1', score: 0.2 },
      { uid: 2, hotkey: '5Miner2', score: 0.9 },
      { uid: 3, hotkey: '5Miner3', score: 1 },
    ]);
    expect(await leaderboard.taskTypeScores(1, 'summarization')).toHaveLength(2);
    expect(await leaderboard.taskTypeScores(2, 'arithmetic')).toEqual([]);
  });
});
