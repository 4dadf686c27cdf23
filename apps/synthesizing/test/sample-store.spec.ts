import { closeDataSource, connectDataSource, createDataSource, runMigrations } from '@vstack/database';
import { serviceDatabaseOptions } from '@vstack/runtime/database';
import { createTestSchema, type TestSchema } from '@vstack/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { OrganicSample } from '../src/ports';
import { synthesizingRecords } from '../src/records';
import { TypeOrmSampleStore } from '../src/samples/typeorm-sample-store';

const base = 1_700_000_000_000;
let counter = 0;

function sample(taskType: string, sampledAt: number, request: unknown = { n: counter }): OrganicSample {
  counter += 1;
  return {
    sampleId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    taskType,
    request,
    sampledAt,
  };
}

describe('sampled organic requests in Postgres', () => {
  let schema: TestSchema;
  let dataSource: DataSource;
  let store: TypeOrmSampleStore;

  beforeAll(async () => {
    schema = await createTestSchema(inject('databaseUrl'), 'synthesizing_samples');
    dataSource = await connectDataSource(
      createDataSource(
        serviceDatabaseOptions(
          'synthesizing',
          {
            DATABASE_URL: inject('databaseUrl'),
            DATABASE_SCHEMA: schema.schema,
            DATABASE_POOL_SIZE: 8,
            DATABASE_MIGRATE_ON_START: false,
          },
          synthesizingRecords,
        ),
      ),
    );
    expect((await runMigrations(dataSource)).applied).toEqual(['CreateOrganicSamples1795392000000']);
    store = new TypeOrmSampleStore(dataSource);
  });

  beforeEach(async () => {
    await dataSource.query('DELETE FROM "organic_sample"');
  });

  afterAll(async () => {
    await closeDataSource(dataSource);
    await schema.drop();
  });

  it('stores a sample once and gives back its request exactly as written', async () => {
    const request = {
      model: 'm',
      messages: [{ role: 'user', content: 'héllo "quoted" \\ 💡' }],
      seed: 2 ** 40,
    };
    const first = sample('text-generation', base, request);
    expect(await store.add(first)).toBe(true);
    expect(await store.add({ ...first, request: { other: true } })).toBe(false);
    expect(await store.counts()).toEqual({ 'text-generation': 1 });
    expect(await store.take('text-generation')).toEqual(request);
    expect(await store.take('text-generation')).toBeUndefined();
  });

  it('takes the newest sample of the task type asked for, and each sample only once', async () => {
    await store.add(sample('arithmetic', base, { at: 'old' }));
    await store.add(sample('arithmetic', base + 2, { at: 'newest' }));
    await store.add(sample('arithmetic', base + 1, { at: 'middle' }));
    await store.add(sample('summarization', base + 5, { at: 'other type' }));
    expect(await store.take('arithmetic')).toEqual({ at: 'newest' });
    expect(await store.take('arithmetic')).toEqual({ at: 'middle' });
    expect(await store.counts()).toEqual({ arithmetic: 1, summarization: 1 });
  });

  it('gives concurrent takers different samples', async () => {
    for (let i = 0; i < 20; i += 1) await store.add(sample('arithmetic', base + i, { i }));
    const taken = await Promise.all(Array.from({ length: 25 }, () => store.take('arithmetic')));
    const requests = taken.filter((request) => request !== undefined);
    expect(requests).toHaveLength(20);
    expect(new Set(requests.map((request) => JSON.stringify(request))).size).toBe(20);
  });

  it('deletes samples past retention and all but the newest of each task type', async () => {
    for (let i = 0; i < 5; i += 1) await store.add(sample('arithmetic', base + i * 1_000, { i }));
    await store.add(sample('summarization', base - 10_000, { expired: true }));
    await store.add(sample('summarization', base + 10_000, { kept: true }));
    // Older than base + 1 s: arithmetic 0 and the first summarization go; then 2 newest per type stay.
    expect(await store.prune(base + 1_000, 2)).toBe(4);
    expect(await store.counts()).toEqual({ arithmetic: 2, summarization: 1 });
    expect(await store.take('arithmetic')).toEqual({ i: 4 });
    expect(await store.take('arithmetic')).toEqual({ i: 3 });
  });
});
