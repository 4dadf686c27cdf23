import { uniqueTestName } from '@vstack/testing';
import fc from 'fast-check';
import { In, type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bigintTransformer, numericTransformer } from './columns';
import { closeDataSource, connectDataSource, createDataSource } from './data-source';
import { runMigrations } from './migrations';
import { FixtureAccount } from './testing-fixtures/fixture-account.entity';
import {
  AddFixtureAccountLabel1735776000000,
  CreateFixtureAccount1735689600000,
} from './testing-fixtures/migrations';
import { dropSchemas, openAdmin } from './testing-fixtures/postgres';

const url = inject('databaseUrl');
const schema = uniqueTestName('database columns');
let admin: DataSource;
let dataSource: DataSource;

const int8 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

beforeAll(async () => {
  admin = await openAdmin(url);
  dataSource = await connectDataSource(
    createDataSource({
      url,
      schema,
      migrationsTableName: 'fixture_migrations',
      migrations: [CreateFixtureAccount1735689600000, AddFixtureAccountLabel1735776000000],
      entities: [FixtureAccount],
    }),
  );
  await runMigrations(dataSource);
});

afterAll(async () => {
  await closeDataSource(dataSource);
  await dropSchemas(admin, [schema]);
});

describe('bigintTransformer', () => {
  it('round-trips every int8 value through the string pg uses', () => {
    fc.assert(
      fc.property(fc.bigInt(int8), (value) => {
        const stored: unknown = bigintTransformer.to(value);
        expect(typeof stored).toBe('string');
        expect(bigintTransformer.from(stored)).toBe(value);
      }),
    );
  });

  it('passes null through', () => {
    expect(bigintTransformer.to(null)).toBeNull();
    expect(bigintTransformer.from(null)).toBeNull();
  });
});

describe('numericTransformer', () => {
  it('round-trips finite numbers and refuses NaN and infinities', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(numericTransformer.from(numericTransformer.to(value))).toBe(value === 0 ? 0 : value);
      }),
    );
    expect(() => {
      numericTransformer.to(Number.NaN);
    }).toThrow(RangeError);
    expect(() => {
      numericTransformer.to(Number.POSITIVE_INFINITY);
    }).toThrow(RangeError);
  });
});

describe('column helpers against PostgreSQL', () => {
  it('keep every digit of stakes and balances above 2^53', async () => {
    const accounts = dataSource.getRepository(FixtureAccount);
    const stake = 2n ** 53n + 1n;
    const balance = 2n ** 63n - 1n;
    await accounts.insert({ hotkey: '5Grw', stake, balance, score: 0.123456789, label: null });
    await accounts.insert({ hotkey: '5FHn', stake: -(2n ** 63n), balance: null, score: 1, label: null });

    const loaded = await accounts.findOneByOrFail({ hotkey: '5Grw' });
    expect(loaded.stake).toBe(stake);
    expect(loaded.balance).toBe(balance);
    expect(loaded.score).toBe(0.123456789);

    // The same transformer applies to where clauses, including find operators.
    expect((await accounts.findOneByOrFail({ stake })).hotkey).toBe('5Grw');
    const both = await accounts.findBy({ stake: In([stake, -(2n ** 63n)]) });
    expect(both.map((account) => account.hotkey).sort()).toEqual(['5FHn', '5Grw']);
    expect((await accounts.findOneByOrFail({ hotkey: '5FHn' })).balance).toBeNull();

    // And PostgreSQL really holds the exact value, not a rounded double.
    const [row] = await dataSource.query<{ stake: string }[]>(
      `SELECT stake::text FROM fixture_account WHERE hotkey = $1`,
      ['5Grw'],
    );
    expect(row?.stake).toBe('9007199254740993');
  });

  it('stamp createdAt on insert and move updatedAt on update, as timestamptz', async () => {
    const accounts = dataSource.getRepository(FixtureAccount);
    const before = Date.now();
    const created = await accounts.save(
      accounts.create({ hotkey: '5Dfh', stake: 1n, balance: null, score: 0, label: null }),
    );
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(created.createdAt.getTime() - before)).toBeLessThan(60_000);

    // Written a day ago; an update now must move updatedAt and leave createdAt alone.
    await dataSource.query(
      `UPDATE fixture_account SET "createdAt" = now() - interval '1 day', "updatedAt" = now() - interval '1 day'
        WHERE hotkey = $1`,
      ['5Dfh'],
    );
    const old = await accounts.findOneByOrFail({ hotkey: '5Dfh' });
    old.label = 'renamed';
    await accounts.save(old);
    const updated = await accounts.findOneByOrFail({ hotkey: '5Dfh' });
    expect(updated.createdAt.getTime()).toBe(old.createdAt.getTime());
    expect(updated.updatedAt.getTime() - updated.createdAt.getTime()).toBeGreaterThan(23 * 3_600_000);

    const metadata = dataSource.getMetadata(FixtureAccount);
    expect(metadata.findColumnWithPropertyName('createdAt')?.type).toBe('timestamptz');
    expect(metadata.findColumnWithPropertyName('updatedAt')?.type).toBe('timestamptz');
  });
});
