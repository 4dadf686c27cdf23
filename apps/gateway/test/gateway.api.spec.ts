import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewTask } from '../src/tasks/task';
import type { QueuedMark, TaskStore } from '../src/tasks/task-store';
import {
  ADMIN_TOKEN,
  type Answer,
  call,
  createKey,
  creditState,
  METRICS_TOKEN,
  startGateway,
  type TestGateway,
  type TestKey,
} from './support/harness';

// Refusals, the admin routes, the account, quotes and the docs. No validator runs: accepted tasks stay QUEUED.
describe('gateway API', () => {
  let gateway: TestGateway;
  let key: TestKey;
  const arithmetic = { input: { operation: 'add', a: '1', b: '2' } };

  beforeAll(async () => {
    gateway = await startGateway();
    key = await createKey(gateway, { scopes: ['arithmetic'], credits: 3 });
  });

  afterAll(async () => {
    await gateway.close();
  });

  async function expectRefusal(answer: Promise<Answer>, status: number, code: string) {
    const { status: actual, body, headers } = await answer;
    expect({ status: actual, code: body.error.code }).toEqual({ status, code });
    expect(typeof body.error.message).toBe('string');
    return { body, headers };
  }

  it('refuses requests without a live key with 401', async () => {
    const post = (token?: string, headers?: Record<string, string>) =>
      call(gateway.url, 'POST', '/v1/arithmetic', {
        json: arithmetic,
        ...(token === undefined ? {} : { token }),
        ...(headers ? { headers } : {}),
      });
    await expectRefusal(post(), 401, 'unauthorized');
    await expectRefusal(post('not-a-key'), 401, 'unauthorized');
    await expectRefusal(post(`vsk_${'A'.repeat(43)}`), 401, 'unauthorized');
    await expectRefusal(post(undefined, { authorization: `Basic ${key.secret}` }), 401, 'unauthorized');
    const revoked = await createKey(gateway, { scopes: ['arithmetic'], credits: 10 });
    expect((await post(revoked.secret)).status).toBe(202);
    const revoking = await call(gateway.url, 'DELETE', `/v1/admin/keys/${revoked.id}`, {
      token: ADMIN_TOKEN,
    });
    expect(revoking.status).toBe(200);
    expect(Date.parse(revoking.body.revoked_at ?? '')).toBeGreaterThan(0);
    await expectRefusal(post(revoked.secret), 401, 'api_key_revoked');
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/tasks', { token: revoked.secret }),
      401,
      'api_key_revoked',
    );
  });

  it('refuses unknown task types, missing scopes and bodies that fail their schema, and charges nothing', async () => {
    const before = await creditState(gateway, key.id);
    const post = (path: string, json: unknown) =>
      call(gateway.url, 'POST', path, { token: key.secret, json });
    await expectRefusal(post('/v1/poetry', arithmetic), 404, 'unknown_task_type');
    await expectRefusal(post('/v1/tasks/poetry', arithmetic), 404, 'unknown_task_type');
    await expectRefusal(post('/v1/summarization', { input: { text: 'x' } }), 403, 'scope_missing');
    await expectRefusal(
      post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      403,
      'scope_missing',
    );
    const invalid = await expectRefusal(
      post('/v1/arithmetic', { input: { operation: 'divide', a: '1', b: 'x' } }),
      400,
      'invalid_request',
    );
    expect(invalid.body.error.details.map((problem) => problem.path)).toEqual(['input.operation', 'input.b']);
    await expectRefusal(post('/v1/arithmetic', { ...arithmetic, priority: 'asap' }), 400, 'invalid_request');
    await expectRefusal(post('/v1/arithmetic', { ...arithmetic, extra: 1 }), 400, 'invalid_request');
    await expectRefusal(
      post('/v1/arithmetic', { ...arithmetic, callback_url: 'ftp://x' }),
      400,
      'invalid_request',
    );
    await expectRefusal(post('/v1/arithmetic', arithmetic.input), 400, 'invalid_request');
    await expectRefusal(
      call(gateway.url, 'POST', '/v1/arithmetic', {
        token: key.secret,
        body: '{"input": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'malformed_json',
    );
    await expectRefusal(
      call(gateway.url, 'POST', '/v1/arithmetic', {
        token: key.secret,
        body: JSON.stringify({ input: { operation: 'add', a: '1'.repeat(5 * 1024 * 1024), b: '1' } }),
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'body_too_large',
    );
    await expectRefusal(
      call(gateway.url, 'POST', '/v1/arithmetic', {
        token: key.secret,
        json: arithmetic,
        headers: { 'idempotency-key': '\u00e9t\u00e9' },
      }),
      400,
      'invalid_request',
    );
    expect(await creditState(gateway, key.id)).toEqual(before);
  });

  it('refuses a task the balance does not cover with 402, before anything is held', async () => {
    const poor = await createKey(gateway, { scopes: ['arithmetic', 'text-generation'], credits: 12 });
    const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const quote = await call(gateway.url, 'POST', '/v1/quotes', {
      token: poor.secret,
      json: { task_type: 'text-generation', input: chat },
    });
    expect(quote.body).toEqual({
      object: 'quote',
      task_type: 'text-generation',
      price_credits: 10,
      balance: 12,
      sufficient: true,
    });
    expect(
      (await call(gateway.url, 'POST', '/v1/text-generation', { token: poor.secret, json: { input: chat } }))
        .status,
    ).toBe(202);
    const second = await call(gateway.url, 'POST', '/v1/tasks/text-generation', {
      token: poor.secret,
      json: { input: chat },
    });
    expect(second.status).toBe(402);
    expect(second.body.error).toMatchObject({ code: 'insufficient_credits' });
    expect(
      (
        await call(gateway.url, 'POST', '/v1/quotes', {
          token: poor.secret,
          json: { task_type: 'text-generation', input: chat },
        })
      ).body,
    ).toMatchObject({ balance: 2, sufficient: false });
    await expectRefusal(
      call(gateway.url, 'POST', '/v1/quotes', {
        token: poor.secret,
        json: { task_type: 'arithmetic', input: {} },
      }),
      400,
      'invalid_request',
    );
    expect(await creditState(gateway, poor.id)).toMatchObject({
      balance: 2,
      held: 10,
      ledgerBalance: 2,
      entries: 2,
    });
  });

  it('limits each key to its rate with 429 and Retry-After', async () => {
    const slow = await createKey(gateway, { scopes: ['arithmetic'], credits: 100, rate: 6 });
    const first = await call(gateway.url, 'GET', '/v1/tasks', { token: slow.secret });
    expect(first.status).toBe(200);
    const { headers } = await expectRefusal(
      call(gateway.url, 'GET', '/v1/tasks', { token: slow.secret }),
      429,
      'rate_limited',
    );
    expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(headers.get('retry-after'))).toBeLessThanOrEqual(10);
    await expectRefusal(
      call(gateway.url, 'POST', '/v1/arithmetic', { token: slow.secret, json: arithmetic }),
      429,
      'rate_limited',
    );
    expect(await creditState(gateway, slow.id)).toMatchObject({ balance: 100, entries: 1 });
  });

  it("lists a key's tasks newest first, filtered and paginated, and hides other keys' tasks", async () => {
    const lister = await createKey(gateway, { scopes: ['arithmetic', 'summarization'], credits: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const answer = await call(gateway.url, 'POST', i % 2 === 0 ? '/v1/arithmetic' : '/v1/summarization', {
        token: lister.secret,
        json:
          i % 2 === 0
            ? { input: { operation: 'add', a: String(i), b: '1' } }
            : { input: { text: `Text ${i}.` } },
      });
      ids.push(answer.body.id);
    }
    const cancelled = await call(gateway.url, 'DELETE', `/v1/tasks/${ids[0]}`, { token: lister.secret });
    expect(cancelled.body.status).toBe('CANCELLED');

    const page1 = await call(gateway.url, 'GET', '/v1/tasks?limit=2', { token: lister.secret });
    expect(page1.body.data.map((task) => task.id)).toEqual([ids[4], ids[3]]);
    const page2 = await call(gateway.url, 'GET', `/v1/tasks?limit=2&cursor=${page1.body.next_cursor}`, {
      token: lister.secret,
    });
    expect(page2.body.data.map((task) => task.id)).toEqual([ids[2], ids[1]]);
    const page3 = await call(gateway.url, 'GET', `/v1/tasks?limit=2&cursor=${page2.body.next_cursor}`, {
      token: lister.secret,
    });
    expect(page3.body).toMatchObject({ data: [{ id: ids[0] }], next_cursor: null });
    const arithmeticOnly = await call(gateway.url, 'GET', '/v1/tasks?type=arithmetic&status=queued', {
      token: lister.secret,
    });
    expect(arithmeticOnly.body.data.map((task) => task.id)).toEqual([ids[4], ids[2]]);
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/tasks?status=DONE', { token: lister.secret }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/tasks?limit=0', { token: lister.secret }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/tasks?cursor=bm9wZQ', { token: lister.secret }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      call(gateway.url, 'GET', `/v1/tasks/${ids[1]}`, { token: key.secret }),
      404,
      'task_not_found',
    );
    await expectRefusal(
      call(gateway.url, 'DELETE', `/v1/tasks/${ids[1]}`, { token: key.secret }),
      404,
      'task_not_found',
    );
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/tasks/not-a-task', { token: key.secret }),
      404,
      'task_not_found',
    );
  });

  it('manages keys and credits through the admin routes, behind the admin token', async () => {
    await expectRefusal(call(gateway.url, 'GET', '/v1/admin/keys'), 401, 'admin_unauthorized');
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/admin/keys', { token: key.secret }),
      401,
      'admin_unauthorized',
    );
    const created = await call(gateway.url, 'POST', '/v1/admin/keys', {
      token: ADMIN_TOKEN,
      json: { name: 'billing', scopes: ['summarization'], credits: 50 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: 'api_key',
      name: 'billing',
      scopes: ['summarization'],
      rate_limit_per_minute: 600,
      balance: 50,
      held: 0,
      revoked_at: null,
    });
    expect(created.body.secret).toMatch(/^vsk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.secret.startsWith(created.body.prefix)).toBe(true);
    expect(created.body.webhook_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const id: string = created.body.id;
    const listed = await call(gateway.url, 'GET', '/v1/admin/keys', { token: ADMIN_TOKEN });
    expect(listed.body.data.find((entry) => entry.id === id)).toMatchObject({ name: 'billing' });
    expect(listed.text).not.toContain(created.body.secret);
    const { rows } = await gateway.db.query(`SELECT secret_hash FROM gateway_api_keys WHERE id = $1`, [id]);
    expect((rows[0] as { secret_hash: Buffer }).secret_hash.toString('utf8')).not.toContain(
      created.body.secret,
    );

    const granted = await call(gateway.url, 'POST', `/v1/admin/keys/${id}/credits`, {
      token: ADMIN_TOKEN,
      json: { amount: 25, note: 'top-up' },
    });
    expect(granted.body.balance).toBe(75);
    await expectRefusal(
      call(gateway.url, 'POST', `/v1/admin/keys/${id}/credits`, {
        token: ADMIN_TOKEN,
        json: { amount: -100 },
      }),
      402,
      'insufficient_credits',
    );
    const ledger = await call(gateway.url, 'GET', `/v1/admin/keys/${id}/ledger`, { token: ADMIN_TOKEN });
    expect(ledger.body.data.map((entry) => [entry.kind, entry.amount, entry.note])).toEqual([
      ['grant', 25, 'top-up'],
      ['grant', 50, 'initial credits'],
    ]);
    await expectRefusal(
      call(gateway.url, 'POST', '/v1/admin/keys', {
        token: ADMIN_TOKEN,
        json: { name: 'x', scopes: ['poetry'] },
      }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      call(gateway.url, 'GET', '/v1/admin/keys/00000000-0000-4000-8000-000000000000', { token: ADMIN_TOKEN }),
      404,
      'api_key_not_found',
    );
    await expectRefusal(
      call(gateway.url, 'DELETE', '/v1/admin/keys/nope', { token: ADMIN_TOKEN }),
      404,
      'api_key_not_found',
    );

    const account = await call(gateway.url, 'GET', '/v1/account', { token: created.body.secret });
    expect(account.body).toEqual({
      object: 'account',
      id,
      name: 'billing',
      scopes: ['summarization'],
      rate_limit_per_minute: 600,
      balance: 75,
      held: 0,
      spent: 0,
      prices: { summarization: 5 },
    });
  });

  it('describes the API at /docs with the schemas that validate requests', async () => {
    const document = await call(gateway.url, 'GET', '/docs');
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/arithmetic',
        '/v1/summarization',
        '/v1/text-generation',
        '/v1/tasks/{type}',
        '/v1/tasks',
        '/v1/tasks/{id}',
        '/v1/tasks/{id}/events',
        '/v1/quotes',
        '/v1/chat/completions',
        '/v1/admin/keys',
      ]),
    );
    expect(document.body.components.schemas['Submission_arithmetic']).toMatchObject({
      properties: { input: { properties: { operation: { enum: ['add', 'multiply'] } } } },
    });
    const page = await call(gateway.url, 'GET', '/docs', { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('POST /v1/chat/completions');
    expect((await call(gateway.url, 'GET', '/docs/openapi.json')).body).toEqual(document.body);
  });

  it('counts accepted tasks, refusals and credits on /metrics', async () => {
    const metrics = await call(gateway.url, 'GET', '/metrics', { token: METRICS_TOKEN });
    expect(metrics.text).toMatch(
      /vstack_gateway_tasks_accepted_total\{task_type="arithmetic",priority="normal"\} \d+/,
    );
    expect(metrics.text).toMatch(/vstack_gateway_refusals_total\{code="insufficient_credits"\} 2/);
    expect(metrics.text).toMatch(/vstack_gateway_credits_total\{movement="hold"\} \d+/);
  });
});

describe('gateway QUEUED marks', () => {
  it('shows an accepted task QUEUED, as of when its job was queued, to reads right after its 202', async () => {
    // Statements that carry only QUEUED marks take 300 ms more, so the reads below come before the marks land.
    const gateway = await startGateway({
      overrides: {
        taskStore: (store) =>
          Object.assign(Object.create(store) as TaskStore, {
            recordSubmissions: async (tasks: readonly NewTask[], marks: readonly QueuedMark[]) => {
              if (tasks.length === 0) await delay(300);
              return store.recordSubmissions(tasks, marks);
            },
          }),
      },
    });
    try {
      const key = await createKey(gateway, { scopes: ['arithmetic'], credits: 20 });
      const arithmetic = { input: { operation: 'add', a: '1', b: '2' } };
      const accepted = await Promise.all(
        Array.from({ length: 5 }, () =>
          call(gateway.url, 'POST', '/v1/arithmetic', { token: key.secret, json: arithmetic }),
        ),
      );
      const [first] = accepted;
      const { rows } = await gateway.db.query<{ status: string }>(
        'SELECT status FROM gateway_tasks WHERE id = $1',
        [first?.body.id],
      );
      expect(rows[0]?.status).toBe('PENDING');
      for (const answer of accepted) {
        expect(answer.body).toMatchObject({ status: 'QUEUED' });
        const read = await call(gateway.url, 'GET', `/v1/tasks/${answer.body.id}`, { token: key.secret });
        expect(read.body).toMatchObject({ status: 'QUEUED', queued_at: answer.body.queued_at });
      }
      const listed = await call(gateway.url, 'GET', '/v1/tasks?status=QUEUED', { token: key.secret });
      expect((listed.body.data as unknown[]).length).toBe(5);
    } finally {
      await gateway.close();
    }
  });
});
