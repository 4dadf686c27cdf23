import { uniqueTestName } from '@vstack/testing';
import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDataSource, type DatabaseOptions } from './data-source';
import { DatabaseErrorCode } from './errors';
import type { DatabaseLogger } from './logger';
import { migrateCommand } from './migrate-command';
import {
  AddFixtureAccountLabel1735776000000,
  BrokenFixtureAudit1735862400000,
  CreateFixtureAccount1735689600000,
} from './testing-fixtures/migrations';
import { closedPort, dropSchemas, openAdmin } from './testing-fixtures/postgres';
import { recordingLogger } from './testing-fixtures/recording-logger';

const url = inject('databaseUrl');
const fileSchema = uniqueTestName('database migrate command');
const schemas: string[] = [];
let admin: DataSource;

function options(test: string, overrides: Partial<DatabaseOptions> = {}): () => DataSource {
  const schema = `${fileSchema}_${test}`;
  schemas.push(schema);
  return () =>
    createDataSource({
      url,
      schema,
      migrationsTableName: 'gateway_migrations',
      migrations: [CreateFixtureAccount1735689600000, AddFixtureAccountLabel1735776000000],
      ...overrides,
    });
}

beforeAll(async () => {
  admin = await openAdmin(url);
});

afterAll(async () => {
  await dropSchemas(admin, schemas);
});

describe('migrateCommand', () => {
  it('applies pending migrations, logs each one, and reports an up-to-date schema the next time', async () => {
    const dataSource = options('apply');
    const { logger, lines } = recordingLogger();

    const first = await migrateCommand({ service: 'gateway', dataSource, logger });
    expect(first).toEqual({
      ok: true,
      applied: ['CreateFixtureAccount1735689600000', 'AddFixtureAccountLabel1735776000000'],
    });
    const messages = lines.filter((line) => line.level === 'info').map((line) => line.message);
    expect(messages).toContain('applied migration CreateFixtureAccount1735689600000');
    expect(messages).toContain('applied migration AddFixtureAccountLabel1735776000000');
    expect(messages).toContain('applied 2 migrations');

    const again = recordingLogger();
    expect(await migrateCommand({ service: 'gateway', dataSource, logger: again.logger })).toEqual({
      ok: true,
      applied: [],
    });
    expect(again.lines.map((line) => line.message)).toContain(
      'database schema is up to date; no migrations to apply',
    );
  });

  it('reports an unreachable server in one line: no stack, no password', async () => {
    const port = await closedPort();
    const target = new URL('postgres://postgres@127.0.0.1/postgres');
    target.password = 'pw-never-printed-91c2';
    target.port = String(port);
    const { logger, lines } = recordingLogger();

    const result = await migrateCommand({
      service: 'gateway',
      dataSource: options('unreachable', { url: target.toString(), connectTimeoutMs: 2_000 }),
      logger,
    });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe(DatabaseErrorCode.Unreachable);
    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toEqual([
      {
        level: 'error',
        details: { service: 'gateway', code: DatabaseErrorCode.Unreachable },
        message: `gateway: cannot reach PostgreSQL at 127.0.0.1:${port} (ECONNREFUSED)`,
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('pw-never-printed-91c2');
  });

  it('reports a failed migration by name, with the stack to debug it', async () => {
    const { logger, lines } = recordingLogger();
    const result = await migrateCommand({
      service: 'gateway',
      dataSource: options('broken', {
        migrations: [CreateFixtureAccount1735689600000, BrokenFixtureAudit1735862400000],
      }),
      logger,
    });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe(DatabaseErrorCode.MigrationFailed);
    const [error] = lines.filter((line) => line.level === 'error');
    expect(error?.message).toMatch(
      /^gateway: migration BrokenFixtureAudit1735862400000 failed and was rolled back/,
    );
    expect(error?.details).toMatchObject({
      migration: 'BrokenFixtureAudit1735862400000',
      stack: expect.any(String),
    });
  });

  it('accepts a pino logger as is', async () => {
    const logger: DatabaseLogger = pino({ level: 'silent' });
    expect(await migrateCommand({ service: 'gateway', dataSource: options('pino'), logger })).toMatchObject({
      ok: true,
    });
  });
});
