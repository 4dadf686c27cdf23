import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TaskQueue } from '../src/tasks/task-queue';
import {
  type Answer,
  call,
  createKey,
  creditState,
  startGateway,
  type TestGateway,
  type TestKey,
} from './support/harness';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

// Redis and PostgreSQL reached through TCP proxies the test can cut.
describe('gateway while Redis or PostgreSQL is away', () => {
  let gateway: TestGateway;
  let redis: TcpProxy;
  let postgres: TcpProxy;
  let key: TestKey;
  let failEnqueue = false;
  const task = { input: { operation: 'add', a: '2', b: '3' } };

  async function expectUnavailable(answer: Promise<Answer>) {
    const { status, body, headers } = await answer;
    expect({ status, code: body.error.code }).toEqual({ status: 503, code: 'service_unavailable' });
    expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
  }

  async function tasksOf(keyId: string): Promise<number> {
    const { rows } = await gateway.db.query(
      `SELECT count(*)::int AS n FROM gateway_tasks WHERE api_key_id = $1`,
      [keyId],
    );
    return (rows[0] as { n: number }).n;
  }

  beforeAll(async () => {
    const redisUrl = new URL(inject('redisUrl'));
    const databaseUrl = new URL(inject('databaseUrl'));
    redis = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    postgres = await startTcpProxy(databaseUrl.hostname, Number(databaseUrl.port || 5432));
    redisUrl.host = `127.0.0.1:${redis.port}`;
    databaseUrl.host = `127.0.0.1:${postgres.port}`;
    gateway = await startGateway({
      env: {
        REDIS_URL: redisUrl.toString(),
        DATABASE_URL: databaseUrl.toString(),
        GATEWAY_KEY_CACHE_MS: '60000',
      },
      overrides: {
        taskQueue: (queue: TaskQueue): TaskQueue => ({
          enqueue: (payload) =>
            failEnqueue
              ? Promise.reject(
                  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
                )
              : queue.enqueue(payload),
          remove: (taskId) => queue.remove(taskId),
          isQueued: (taskId) => queue.isQueued(taskId),
          enqueueWebhook: (taskId) => queue.enqueueWebhook(taskId),
        }),
      },
    });
    key = await createKey(gateway, { credits: 100 });
    expect(
      (await call(gateway.url, 'POST', '/v1/arithmetic', { token: key.secret, json: task })).status,
    ).toBe(202);
  });

  afterAll(async () => {
    redis.restore();
    postgres.restore();
    await gateway.close();
    await redis.close();
    await postgres.close();
  });

  it('answers 503 with Retry-After while Redis is away, and writes nothing', async () => {
    const before = await creditState(gateway, key.id);
    redis.cut();
    try {
      await expectUnavailable(call(gateway.url, 'POST', '/v1/arithmetic', { token: key.secret, json: task }));
      await expectUnavailable(call(gateway.url, 'GET', '/v1/tasks', { token: key.secret }));
      expect((await call(gateway.url, 'GET', '/health/ready')).status).toBe(503);
    } finally {
      redis.restore();
    }
    expect(await creditState(gateway, key.id)).toEqual(before);
    expect(await tasksOf(key.id)).toBe(1);
  });

  it('answers 503 with Retry-After while PostgreSQL is away, and writes nothing', async () => {
    const before = await creditState(gateway, key.id);
    const uncached = await createKey(gateway, { credits: 10 });
    postgres.cut();
    try {
      await expectUnavailable(call(gateway.url, 'POST', '/v1/arithmetic', { token: key.secret, json: task }));
      await expectUnavailable(call(gateway.url, 'GET', '/v1/tasks', { token: key.secret }));
      await expectUnavailable(
        call(gateway.url, 'POST', '/v1/arithmetic', { token: uncached.secret, json: task }),
      );
    } finally {
      postgres.restore();
    }
    expect(await creditState(gateway, key.id)).toEqual(before);
    expect(await tasksOf(key.id)).toBe(1);
  });

  it('undoes the record and the hold of a task whose job cannot be queued', async () => {
    const before = await creditState(gateway, key.id);
    failEnqueue = true;
    try {
      await expectUnavailable(call(gateway.url, 'POST', '/v1/arithmetic', { token: key.secret, json: task }));
    } finally {
      failEnqueue = false;
    }
    expect(await creditState(gateway, key.id)).toEqual(before);
    expect(await tasksOf(key.id)).toBe(1);
  });

  it('serves again once both are back', async () => {
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 202; attempt += 1) {
      status = (await call(gateway.url, 'POST', '/v1/arithmetic', { token: key.secret, json: task })).status;
      if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(202);
    expect(await tasksOf(key.id)).toBe(2);
  });
});
