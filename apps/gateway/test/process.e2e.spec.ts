import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  buildApp,
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  startApp,
  type TestSchema,
  uniqueTestName,
  workspaceRoot,
} from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeValidator } from './support/fake-validator';
import { call } from './support/harness';

// The built gateway as operators run it: `main.js migrate`, the `keys` commands, then the service.
describe('the gateway process', () => {
  let schema: TestSchema;
  let app: RunningApp | undefined;
  let validator: FakeValidator;
  const prefix = uniqueTestName('gateway_process');
  let env: Record<string, string>;

  function run(...args: string[]) {
    const result = spawnSync(process.execPath, [join(workspaceRoot, 'dist/apps/gateway/main.js'), ...args], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  beforeAll(async () => {
    buildApp('gateway');
    schema = await createTestSchema(inject('databaseUrl'), 'gateway_process');
    env = {
      DATABASE_URL: inject('databaseUrl'),
      DATABASE_SCHEMA: schema.schema,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      GATEWAY_KEY_CACHE_MS: '0',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    validator = new FakeValidator(inject('redisUrl'), prefix);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await validator.close();
    await schema.drop();
    await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
  });

  it('migrates, makes keys from the command line, and serves tasks to the validator', async () => {
    expect(run('migrate').status).toBe(0);
    const created = run(
      'keys',
      'create',
      '--name',
      'app',
      '--scopes',
      'arithmetic,summarization',
      '--credits',
      '10',
      '--rate',
      '600',
    );
    expect(created.status, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; secret: string; webhook_secret: string | null };
    expect(key).toMatchObject({
      name: 'app',
      scopes: ['arithmetic', 'summarization'],
      balance: 10,
      rate_limit_per_minute: 600,
    });
    expect(key.secret).toMatch(/^vsk_/);
    expect(key.webhook_secret).toBeNull();
    const listed = run('keys', 'list');
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: key.id, balance: 10 })]);
    expect(listed.stdout).not.toContain(key.secret);

    const usage = run('keys', 'create', '--name', 'x', '--scopes', 'poetry');
    expect(usage.status).toBe(64);
    expect(usage.stderr).toContain('scopes.0');
    expect(run('keys', 'revoke', 'not-a-uuid').status).toBe(64);
    expect(run('keys', 'shred').status).toBe(64);

    app = await startApp('gateway', { env });
    const url = `http://127.0.0.1:${app.port}`;
    await validator.start();
    const answer = await call(url, 'POST', '/v1/arithmetic', {
      token: key.secret,
      json: { input: { operation: 'add', a: '99999999999999999999', b: '1' } },
      headers: { prefer: 'wait=10' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'COMPLETED', result: { result: '100000000000000000000' } });
    expect((await call(url, 'GET', '/docs/openapi.json')).body.openapi).toBe('3.1.0');

    const credited = run('keys', 'credit', key.id, '--amount', '5', '--note', 'goodwill');
    expect(JSON.parse(credited.stdout)).toMatchObject({ balance: 14 });
    const revoked = run('keys', 'revoke', key.id);
    expect(JSON.parse(revoked.stdout).revoked_at).toEqual(expect.any(String));
    const refused = await call(url, 'GET', '/v1/tasks', { token: key.secret });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('api_key_revoked');
  }, 120_000);
});
