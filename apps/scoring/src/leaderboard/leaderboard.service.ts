import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_PRIOR, mixScores, scoresForWeights } from '@vstack/scoring';
import { ScoringApiError, ScoringApiErrorCode } from '../errors';
import { movingScoresOf } from '../moving-scores';
import { SCORE_STORE, SCORING_SETTINGS } from '../ports';
import type { ScoringSettings } from '../settings';
import type { MinerTaskScore, ScoreRecord, ScoreStore } from '../store/score-store';
import type {
  LeaderboardQuery,
  LeaderboardView,
  MinerStanding,
  MinerView,
  ScoreRecordView,
  TaskTypeStanding,
} from './dto/leaderboard.dto';

/** Records `GET /miners/{uid}` lists unless asked otherwise. */
export const DEFAULT_RECORDS_LIMIT = 50;

function recordView(record: ScoreRecord): ScoreRecordView {
  return {
    responseId: record.responseId,
    taskId: record.taskId,
    taskType: record.taskType,
    purpose: record.purpose,
    hotkey: record.minerHotkey,
    outcome: record.outcome,
    unscoredReason: record.unscoredReason,
    status: record.status,
    accuracy: record.accuracy,
    speed: record.speed,
    score: record.score,
    latencyMs: record.latencyMs,
    error: record.error,
    recordedAt: new Date(record.recordedAt).toISOString(),
  };
}

/** The leaderboard and each miner's history, read from the moving scores and the score records. */
@Injectable()
export class LeaderboardService {
  constructor(
    @Inject(SCORE_STORE) private readonly store: ScoreStore,
    @Inject(SCORING_SETTINGS) private readonly settings: ScoringSettings,
  ) {}

  /** Every scored miner, best first. */
  async leaderboard(query: LeaderboardQuery = {}): Promise<LeaderboardView> {
    const standings = this.standings(await this.store.taskScores());
    const rankBy = query.taskType;
    const value = (standing: Omit<MinerStanding, 'rank'>) =>
      rankBy === undefined ? standing.score : (standing.taskTypes[rankBy]?.score ?? DEFAULT_PRIOR);
    const miners = standings
      .sort((a, b) => value(b) - value(a) || a.uid - b.uid)
      .slice(0, query.limit ?? standings.length)
      .map((standing, index) => ({ rank: index + 1, ...standing }));
    return { netuid: this.settings.netuid, taskTypeWeights: { ...this.settings.taskTypeWeights }, miners };
  }

  /** One miner's scores by task type and its latest records; MinerNotFound when there is neither. */
  async miner(uid: number, limit = DEFAULT_RECORDS_LIMIT): Promise<MinerView> {
    const [scores, records] = await Promise.all([
      this.store.taskScoresOf(uid),
      this.store.recentRecords(uid, limit),
    ]);
    const [standing] = this.standings(scores);
    const latest = records[0];
    if (standing === undefined && latest === undefined) {
      throw new ScoringApiError(ScoringApiErrorCode.MinerNotFound, `no scores or records for uid ${uid}`);
    }
    const base = standing ?? {
      uid,
      hotkey: latest?.minerHotkey ?? '',
      score: DEFAULT_PRIOR,
      scored: 0,
      unscored: 0,
      taskTypes: {},
    };
    return { ...base, records: records.map(recordView) };
  }

  /** Each scored miner's moving score for one task type (for managing's selection); none for another subnet. */
  async taskTypeScores(
    netuid: number,
    taskType: string,
  ): Promise<{ uid: number; hotkey: string; score: number }[]> {
    if (netuid !== this.settings.netuid) return [];
    const rows = await this.store.taskScores();
    return rows
      .filter((row) => row.taskType === taskType && row.samples > 0)
      .map(({ uid, hotkey, score }) => ({ uid, hotkey, score }));
  }

  private standings(rows: readonly MinerTaskScore[]): Omit<MinerStanding, 'rank'>[] {
    const state = movingScoresOf(rows);
    const neurons = Object.entries(state.miners).map(([uid, miner]) => ({
      uid: Number(uid),
      hotkey: miner.hotkey,
    }));
    const mixed = mixScores(
      scoresForWeights(state, neurons, this.settings.weightedTaskTypes, { prior: DEFAULT_PRIOR }),
      this.settings.taskTypeWeights,
    );
    return neurons.map((neuron, index) => {
      const taskTypes: Record<string, TaskTypeStanding> = {};
      for (const row of rows) {
        if (row.uid !== neuron.uid || row.hotkey !== neuron.hotkey) continue;
        taskTypes[row.taskType] = {
          score: row.score,
          scored: row.samples,
          unscored: row.unscored,
          updatedAt: row.samples > 0 ? new Date(row.updatedAt).toISOString() : null,
        };
      }
      const counts = Object.values(taskTypes);
      return {
        uid: neuron.uid,
        hotkey: neuron.hotkey,
        score: mixed[index] ?? DEFAULT_PRIOR,
        scored: counts.reduce((sum, standing) => sum + standing.scored, 0),
        unscored: counts.reduce((sum, standing) => sum + standing.unscored, 0),
        taskTypes,
      };
    });
  }
}
