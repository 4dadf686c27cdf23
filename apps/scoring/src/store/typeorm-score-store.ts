import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@vstack/database';
import type { ResponseStatus } from '@vstack/scoring';
import { type DataSource, type EntityManager, MoreThan } from 'typeorm';
import { MinerScoreEntity } from '../records/miner-score.entity';
import { ScoreRecordEntity } from '../records/score-record.entity';
import type { MinerSession, MinerTaskScore, ScoreRecord, ScoreStore, UnscoredReason } from './score-store';

/** Rows deleted per statement by the retention sweep, so it never holds many locks at once. */
const DELETE_BATCH = 5_000;

function toTaskScore(row: MinerScoreEntity): MinerTaskScore {
  return {
    uid: row.uid,
    hotkey: row.hotkey,
    taskType: row.taskType,
    score: row.score,
    samples: row.samples,
    unscored: row.unscored,
    updatedAt: row.updatedAt.getTime(),
  };
}

function toRecord(row: ScoreRecordEntity): ScoreRecord {
  return {
    responseId: row.responseId,
    taskId: row.taskId,
    taskType: row.taskType,
    purpose: row.purpose as ScoreRecord['purpose'],
    minerUid: row.minerUid,
    minerHotkey: row.minerHotkey,
    outcome: row.outcome as ScoreRecord['outcome'],
    unscoredReason: row.unscoredReason as UnscoredReason | null,
    status: row.status as ResponseStatus | null,
    accuracy: row.accuracy,
    speed: row.speed,
    score: row.score,
    latencyMs: row.latencyMs,
    error: row.error,
    recordedAt: row.recordedAt.getTime(),
  };
}

class TypeOrmMinerSession implements MinerSession {
  constructor(
    private readonly manager: EntityManager,
    private readonly uid: number,
  ) {}

  async hasRecord(responseId: string): Promise<boolean> {
    return this.manager.exists(ScoreRecordEntity, { where: { responseId } });
  }

  async taskScores(): Promise<MinerTaskScore[]> {
    const rows = await this.manager.find(MinerScoreEntity, { where: { uid: this.uid } });
    return rows.map(toTaskScore);
  }

  async scoredSince(hotkey: string, since: number): Promise<number[]> {
    const rows = await this.manager.find(ScoreRecordEntity, {
      select: { recordedAt: true },
      where: {
        minerUid: this.uid,
        minerHotkey: hotkey,
        outcome: 'scored',
        recordedAt: MoreThan(new Date(since)),
      },
    });
    return rows.map((row) => row.recordedAt.getTime());
  }

  async forget(): Promise<void> {
    await this.manager.delete(MinerScoreEntity, { uid: this.uid });
  }

  async saveTaskScore(score: MinerTaskScore): Promise<void> {
    await this.manager.upsert(
      MinerScoreEntity,
      { ...score, updatedAt: new Date(score.updatedAt) },
      { conflictPaths: ['uid', 'taskType'] },
    );
  }

  async addRecord(record: ScoreRecord): Promise<void> {
    await this.manager.insert(ScoreRecordEntity, { ...record, recordedAt: new Date(record.recordedAt) });
  }
}

/** Scores in the service's Postgres schema (tables created by the committed migrations). */
@Injectable()
export class TypeOrmScoreStore implements ScoreStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  withMiner<T>(uid: number, work: (session: MinerSession) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      // Held until the transaction ends; keyed by schema so test schemas sharing a database do not wait.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.miner_score'), $1)`, [
        uid,
      ]);
      return work(new TypeOrmMinerSession(manager, uid));
    });
  }

  async taskScores(): Promise<MinerTaskScore[]> {
    const rows = await this.dataSource.manager.find(MinerScoreEntity, { order: { uid: 'ASC' } });
    return rows.map(toTaskScore);
  }

  async forgetHotkeys(miners: readonly { uid: number; hotkey: string }[]): Promise<void> {
    if (miners.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      for (const { uid, hotkey } of miners) await manager.delete(MinerScoreEntity, { uid, hotkey });
    });
  }

  async taskScoresOf(uid: number): Promise<MinerTaskScore[]> {
    const rows = await this.dataSource.manager.find(MinerScoreEntity, { where: { uid } });
    return rows.map(toTaskScore);
  }

  async recentRecords(uid: number, limit: number): Promise<ScoreRecord[]> {
    const rows = await this.dataSource.manager.find(ScoreRecordEntity, {
      where: { minerUid: uid },
      order: { recordedAt: 'DESC', responseId: 'ASC' },
      take: limit,
    });
    return rows.map(toRecord);
  }

  async deleteRecordsBefore(at: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result: [unknown[], number] = await this.dataSource.query(
        `DELETE FROM "score_record" WHERE "responseId" IN (
           SELECT "responseId" FROM "score_record" WHERE "recordedAt" < $1 LIMIT ${DELETE_BATCH})`,
        [new Date(at)],
      );
      deleted += result[1];
      if (result[1] < DELETE_BATCH) return deleted;
    }
  }
}
