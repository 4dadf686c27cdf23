import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { PostgresTaskStore } from './postgres-task-store';

/** A DataSource whose query fails with the given SQL states, in turn, before it succeeds. */
function failingDataSource(states: string[]): { dataSource: DataSource; calls: () => number } {
  let calls = 0;
  const dataSource = {
    query: (): Promise<unknown[]> => {
      calls += 1;
      const state = states.shift();
      if (state === undefined) return Promise.resolve([]);
      // What TypeORM throws: a QueryFailedError carrying the driver's error and its code.
      return Promise.reject(
        Object.assign(new Error(`failed with ${state}`), { driverError: { code: state } }),
      );
    },
  } as unknown as DataSource;
  return { dataSource, calls: () => calls };
}

describe('PostgresTaskStore statements', () => {
  it('runs a statement again when PostgreSQL aborted it to break a deadlock or a serialization conflict', async () => {
    const { dataSource, calls } = failingDataSource(['40P01', '40001']);
    await new PostgresTaskStore(dataSource).markQueued(['0190f0a0-0000-7000-8000-000000000001'], new Date());
    expect(calls()).toBe(3);
  });

  it('gives up after four attempts, with the last error', async () => {
    const { dataSource, calls } = failingDataSource(['40P01', '40P01', '40P01', '40P01', '40P01']);
    await expect(
      new PostgresTaskStore(dataSource).markQueued(['0190f0a0-0000-7000-8000-000000000001'], new Date()),
    ).rejects.toThrow('failed with 40P01');
    expect(calls()).toBe(4);
  });

  it('does not repeat a statement that failed for any other reason', async () => {
    const { dataSource, calls } = failingDataSource(['23505']);
    await expect(
      new PostgresTaskStore(dataSource).markQueued(['0190f0a0-0000-7000-8000-000000000001'], new Date()),
    ).rejects.toThrow('failed with 23505');
    expect(calls()).toBe(1);
  });
});
