import type { PendingCommit } from '@vstack/chain';
import { closeDataSource, connectDataSource, createDataSource, runMigrations } from '@vstack/database';
import { createTestSchema, type TestSchema } from '@vstack/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sidecarRecords } from '../records';
import { PostgresCommitStore } from './postgres-commit-store';
import { type NewWeightsJob, PostgresWeightsJobStore } from './weights-job.store';

// The weights tables on a real Postgres, created by the committed migration.

let schema: TestSchema;
let dataSource: DataSource;
let jobs: PostgresWeightsJobStore;

function job(id: string, overrides: Partial<NewWeightsJob> = {}): NewWeightsJob {
  return {
    id,
    identity: 'alice',
    netuid: 1,
    epoch: 10,
    source: 'api',
    weights: { '5Dave': 0.8 },
    count: 1,
    ...overrides,
  };
}

function commit(hash: string, commitBlock: number): PendingCommit {
  return {
    hotkey: '5Alice',
    netuid: 2,
    hash,
    uids: [1, 2],
    weights: [65_535, 100],
    salt: [9, 8, 7],
    versionKey: '18446744073709551615',
    commitBlock,
    firstRevealBlock: commitBlock + 10,
    lastRevealBlock: commitBlock + 20,
  };
}

beforeAll(async () => {
  schema = await createTestSchema(inject('databaseUrl'), 'sidecar_weights');
  dataSource = await connectDataSource(
    createDataSource({
      url: inject('databaseUrl'),
      schema: schema.schema,
      migrationsTableName: 'sidecar_migrations',
      ...sidecarRecords,
      poolSize: 3,
    }),
  );
  const run = await runMigrations(dataSource);
  expect(run.applied).toEqual(['CreateWeightsJobs1795325800000']);
  jobs = new PostgresWeightsJobStore(dataSource);
});

afterAll(async () => {
  await closeDataSource(dataSource);
  await schema.drop();
});

describe('PostgresWeightsJobStore', () => {
  it('creates a job once per id (a re-delivered queue job finds the stored one)', async () => {
    const first = await jobs.create(job('once', { weights: { '5Dave': 0.25, '5Eve': 1 } }));
    expect(first.created).toBe(true);
    expect(first.job).toMatchObject({
      state: 'scheduled',
      attempts: 0,
      weights: { '5Dave': 0.25, '5Eve': 1 },
    });
    expect(first.job.createdAt).toBeInstanceOf(Date);
    const second = await jobs.create(job('once', { epoch: 99 }));
    expect(second.created).toBe(false);
    expect(second.job.epoch).toBe(10);
  });

  it('changes a job only from the states given', async () => {
    await jobs.create(job('moves'));
    const submitting = await jobs.update('moves', ['scheduled'], { state: 'submitting', attempts: 1 });
    expect(submitting).toMatchObject({ state: 'submitting', attempts: 1 });
    expect(await jobs.update('moves', ['scheduled'], { state: 'failed' })).toBeUndefined();
    const done = await jobs.update('moves', ['submitting'], {
      state: 'committed',
      txHash: '0xabc',
      block: 123,
      commitHash: '0xcommit-moves',
      revealFromBlock: 130,
      revealUntilBlock: 150,
    });
    expect(done).toMatchObject({ state: 'committed', block: 123, revealUntilBlock: 150 });
    expect(done?.updatedAt.getTime()).toBeGreaterThanOrEqual(submitting?.updatedAt.getTime() ?? 0);
    expect((await jobs.findByCommitHash('0xcommit-moves'))?.id).toBe('moves');
  });

  it('supersedes only older jobs of the same identity and subnet that put nothing on chain', async () => {
    const other = { identity: 'bob', netuid: 5 };
    await jobs.create(job('old-scheduled', other));
    await jobs.create(job('old-submitting', other));
    await jobs.update('old-submitting', ['scheduled'], { state: 'submitting' });
    await jobs.create(job('old-committed', other));
    await jobs.update('old-committed', ['scheduled'], { state: 'committed' });
    await jobs.create(job('other-subnet', { identity: 'bob', netuid: 6 }));
    await jobs.create(job('later-epoch', { ...other, epoch: 11 }));
    const { job: newest } = await jobs.create(job('newest', other));
    const cancelled = await jobs.supersede(newest, 'superseded by newest');
    expect(cancelled.map((j) => j.id).sort()).toEqual(['old-scheduled', 'old-submitting']);
    expect(cancelled.every((j) => j.state === 'cancelled' && j.lastError === 'superseded by newest')).toBe(
      true,
    );
    expect((await jobs.get('old-committed'))?.state).toBe('committed');
    expect((await jobs.get('other-subnet'))?.state).toBe('scheduled');
    expect((await jobs.get('later-epoch'))?.state).toBe('scheduled');
    expect((await jobs.get('newest'))?.state).toBe('scheduled');
  });

  it('lists history newest first, and the unfinished jobs oldest first', async () => {
    const who = { identity: 'carol', netuid: 7 };
    for (const id of ['h1', 'h2', 'h3']) await jobs.create(job(id, who));
    await jobs.update('h2', ['scheduled'], { state: 'succeeded' });
    expect((await jobs.history('carol', 7, 10)).map((j) => j.id)).toEqual(['h3', 'h2', 'h1']);
    expect((await jobs.history('carol', 7, 2)).map((j) => j.id)).toEqual(['h3', 'h2']);
    const unfinished = (await jobs.unfinished()).map((j) => j.id);
    expect(unfinished).toEqual(expect.arrayContaining(['h1', 'h3']));
    expect(unfinished).not.toContain('h2');
    expect(unfinished.indexOf('h1')).toBeLessThan(unfinished.indexOf('h3'));
  });

  it('refuses a state the API does not know', async () => {
    await jobs.create(job('checked'));
    await expect(jobs.update('checked', ['scheduled'], { state: 'lost' as never })).rejects.toThrow();
  });
});

describe('PostgresCommitStore', () => {
  it('keeps commits across store instances (a restarted process), oldest first, until removed', async () => {
    const store = new PostgresCommitStore(dataSource);
    await store.save(commit('0xb', 200));
    await store.save(commit('0xa', 100));
    await store.save({ ...commit('0xa', 100), salt: [1] });
    const restarted = new PostgresCommitStore(dataSource);
    const listed = await restarted.list('5Alice', 2);
    expect(listed.map((c) => c.hash)).toEqual(['0xa', '0xb']);
    expect(listed[0]).toEqual({ ...commit('0xa', 100), salt: [1] });
    expect(await restarted.list('5Alice', 3)).toEqual([]);
    await restarted.remove('5Alice', 2, '0xa');
    expect((await store.list('5Alice', 2)).map((c) => c.hash)).toEqual(['0xb']);
  });
});
