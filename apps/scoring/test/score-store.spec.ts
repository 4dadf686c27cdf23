import { closeDataSource, connectDataSource, createDataSource, runMigrations } from '@vstack/database';
import { DeterministicReferenceModel } from '@vstack/protocol';
import type { ScoreResponsePayload } from '@vstack/queues';
import { serviceDatabaseOptions } from '@vstack/runtime/database';
import { createTestSchema, type TestSchema } from '@vstack/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scoringRecords } from '../src/records';
import { ResponsesService } from '../src/responses/responses.service';
import type { MinerTaskScore, ScoreRecord } from '../src/store/score-store';
import { TypeOrmScoreStore } from '../src/store/typeorm-score-store';
import { settingsFor, testMetrics } from '../src/test-support';

function record(responseId: string, minerUid: number, recordedAt: number): ScoreRecord {
  return {
    responseId,
    taskId: `t-${responseId}`,
    taskType: 'arithmetic',
    purpose: 'synthetic',
    minerUid,
    minerHotkey: `5Miner${minerUid}`,
    outcome: 'scored',
    unscoredReason: null,
    status: 'answered',
    accuracy: 1,
    speed: 0.1 + 0.2,
    score: 0.7 + 0.3 * (0.1 + 0.2),
    latencyMs: 123.25,
    error: null,
    recordedAt,
  };
}

function taskScore(uid: number, hotkey: string, taskType = 'arithmetic'): MinerTaskScore {
  return { uid, hotkey, taskType, score: 0.1 + 0.2, samples: 3, unscored: 1, updatedAt: 1_700_000_000_123 };
}

describe('scores in Postgres', () => {
  let schema: TestSchema;
  let dataSource: DataSource;
  let store: TypeOrmScoreStore;

  beforeAll(async () => {
    schema = await createTestSchema(inject('databaseUrl'), 'scoring_store');
    dataSource = await connectDataSource(
      createDataSource(
        serviceDatabaseOptions(
          'scoring',
          {
            DATABASE_URL: inject('databaseUrl'),
            DATABASE_SCHEMA: schema.schema,
            DATABASE_POOL_SIZE: 12,
            DATABASE_MIGRATE_ON_START: false,
          },
          scoringRecords,
        ),
      ),
    );
    expect((await runMigrations(dataSource)).applied).toEqual(['CreateScoreTables1795305600000']);
    store = new TypeOrmScoreStore(dataSource);
  });

  afterAll(async () => {
    await closeDataSource(dataSource);
    await schema.drop();
  });

  it('keeps records and moving scores exactly as written', async () => {
    await store.withMiner(1, async (session) => {
      await session.addRecord(record('exact', 1, 1_700_000_000_123));
      await session.saveTaskScore(taskScore(1, '5Miner1'));
    });
    expect(await store.recentRecords(1, 10)).toEqual([record('exact', 1, 1_700_000_000_123)]);
    expect(await store.taskScoresOf(1)).toEqual([taskScore(1, '5Miner1')]);
    await store.withMiner(1, async (session) => {
      expect(await session.hasRecord('exact')).toBe(true);
      expect(await session.hasRecord('other')).toBe(false);
      expect(await session.scoredSince('5Miner1', 1_700_000_000_122)).toEqual([1_700_000_000_123]);
      expect(await session.scoredSince('5Miner1', 1_700_000_000_123)).toEqual([]);
      expect(await session.scoredSince('5Someone', 0)).toEqual([]);
      await session.saveTaskScore({ ...taskScore(1, '5Miner1'), samples: 4 });
    });
    expect(await store.taskScoresOf(1)).toEqual([{ ...taskScore(1, '5Miner1'), samples: 4 }]);
  });

  it('keeps nothing of a miner session that fails, and refuses a response id twice', async () => {
    const failed = store.withMiner(2, async (session) => {
      await session.addRecord(record('rolled-back', 2, 1_000));
      await session.saveTaskScore(taskScore(2, '5Miner2'));
      throw new Error('scoring failed');
    });
    await expect(failed).rejects.toThrow('scoring failed');
    expect(await store.recentRecords(2, 10)).toEqual([]);
    expect(await store.taskScoresOf(2)).toEqual([]);
    await store.withMiner(2, (session) => session.addRecord(record('once', 2, 1_000)));
    await expect(
      store.withMiner(2, (session) => session.addRecord(record('once', 2, 2_000))),
    ).rejects.toThrow();
  });

  it('scores concurrent jobs of one miner one at a time, so the dropout cap and the moving score hold', async () => {
    const settings = settingsFor({ SCORING_DROPOUT_MAX: '4' });
    const scoring = new ResponsesService(
      store,
      settings,
      Date.now,
      Math.random,
      { referenceModel: new DeterministicReferenceModel() },
      testMetrics().metrics,
    );
    const job = (index: number): ScoreResponsePayload => ({
      responseId: `burst-${index}`,
      taskId: `burst-task-${index}`,
      taskType: 'arithmetic',
      purpose: 'synthetic',
      minerUid: 3,
      minerHotkey: '5Miner3',
      request: { operation: 'multiply', a: String(index), b: '7' },
      response: { result: String(index * 7) },
      latencyMs: 20,
    });
    const jobs = Array.from({ length: 12 }, (_, index) => job(index));
    // Each job twice, as an at-least-once queue may deliver it.
    const outcomes = await Promise.all([...jobs, ...jobs].map((payload) => scoring.score(payload)));
    const count = (outcome: string) => outcomes.filter((result) => result.outcome === outcome).length;
    expect([count('scored'), count('unscored_dropout'), count('duplicate')]).toEqual([4, 8, 12]);
    const [moving] = await store.taskScoresOf(3);
    expect(moving).toMatchObject({ hotkey: '5Miner3', samples: 4, unscored: 8 });
    expect(moving?.score).toBeCloseTo(1 - 0.9 ** 4, 12);
    expect(await store.recentRecords(3, 100)).toHaveLength(12);
  });

  it('forgets a uid, or only the hotkeys that no longer hold their uids', async () => {
    await store.withMiner(4, async (session) => {
      await session.saveTaskScore(taskScore(4, '5Old'));
      await session.saveTaskScore(taskScore(4, '5Old', 'summarization'));
    });
    await store.withMiner(5, (session) => session.saveTaskScore(taskScore(5, '5Kept')));
    await store.forgetHotkeys([
      { uid: 4, hotkey: '5Old' },
      { uid: 5, hotkey: '5NotThisOne' },
    ]);
    expect(await store.taskScoresOf(4)).toEqual([]);
    expect(await store.taskScoresOf(5)).toHaveLength(1);
    await store.withMiner(5, (session) => session.forget());
    expect(await store.taskScoresOf(5)).toEqual([]);
  });

  it('lists a miner newest first and deletes old records in batches', async () => {
    await store.withMiner(6, async (session) => {
      for (const [id, at] of [
        ['b', 2_000],
        ['a', 3_000],
        ['c', 1_000],
      ] as const) {
        await session.addRecord(record(id, 6, at));
      }
    });
    expect((await store.recentRecords(6, 2)).map((entry) => entry.responseId)).toEqual(['a', 'b']);
    await dataSource.query(
      `INSERT INTO "score_record" ("responseId", "taskId", "taskType", "purpose", "minerUid", "minerHotkey",
         "outcome", "unscoredReason", "latencyMs", "recordedAt")
       SELECT 'bulk-' || n, 't', 'arithmetic', 'organic', 7, '5Miner7', 'unscored', 'not_sampled', 1,
              to_timestamp(1)
         FROM generate_series(1, 12001) AS n`,
    );
    const [{ old } = { old: 0 }] = await dataSource.query<{ old: number }[]>(
      `SELECT count(*)::int AS old FROM "score_record" WHERE "recordedAt" < to_timestamp(2)`,
    );
    expect(old).toBeGreaterThan(12_001);
    expect(await store.deleteRecordsBefore(2_000)).toBe(old);
    expect((await store.recentRecords(6, 10)).map((entry) => entry.responseId)).toEqual(['a', 'b']);
    expect(await store.recentRecords(7, 10)).toEqual([]);
  });

  it('refuses rows the model cannot produce', async () => {
    await expect(
      store.withMiner(8, (session) => session.addRecord({ ...record('no-status', 8, 1), status: null })),
    ).rejects.toThrow(/check constraint/);
    await expect(
      store.withMiner(8, (session) => session.saveTaskScore({ ...taskScore(8, '5Miner8'), score: 1.5 })),
    ).rejects.toThrow(/check constraint/);
  });

  it('takes the tables away and back with the migration', async () => {
    const exists = async (table: string) => {
      const [row] = await dataSource.query<{ found: string | null }[]>(
        `SELECT to_regclass($1)::text AS found`,
        [`${schema.schema}.${table}`],
      );
      return row?.found != null;
    };
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect([await exists('score_record'), await exists('miner_score')]).toEqual([false, false]);
    await runMigrations(dataSource);
    expect([await exists('score_record'), await exists('miner_score')]).toEqual([true, true]);
  });
});
