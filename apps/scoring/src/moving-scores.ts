import type { MinerMovingScores, MovingScores, TaskMovingScore } from '@vstack/scoring';
import type { MinerTaskScore } from './store/score-store';

/** The libs/scoring state of stored moving scores; task types with no scored response yet are left out. */
export function movingScoresOf(rows: readonly MinerTaskScore[]): MovingScores {
  const miners: Record<
    number,
    { hotkey: string; updatedAt: number; taskTypes: Record<string, TaskMovingScore> }
  > = {};
  for (const row of rows) {
    let miner = miners[row.uid];
    // One hotkey per uid; should two ever be stored, the one scored last holds the uid.
    if (!miner || (miner.hotkey !== row.hotkey && row.updatedAt > miner.updatedAt)) {
      miner = { hotkey: row.hotkey, updatedAt: row.updatedAt, taskTypes: {} };
      miners[row.uid] = miner;
    }
    if (miner.hotkey !== row.hotkey || row.samples === 0) continue;
    miner.taskTypes[row.taskType] = { value: row.score, samples: row.samples, updatedAt: row.updatedAt };
  }
  return {
    miners: Object.fromEntries(
      Object.entries(miners).map(([uid, { hotkey, taskTypes }]): [string, MinerMovingScores] => [
        uid,
        { hotkey, taskTypes },
      ]),
    ),
  };
}
