import { taskTypes } from '@vstack/protocol';
import { hostileJsonText } from '@vstack/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeySchema, grantCreditsSchema } from '../src/keys/dto';
import { chatRequestSchema, quoteRequestSchema, submissionSchemas } from '../src/tasks/dto';
import {
  ADMIN_TOKEN,
  call,
  createKey,
  creditState,
  startGateway,
  type TestGateway,
  type TestKey,
} from './support/harness';

/** True when a body would pass some route's schema: such a body is not a bad request. */
function passesASchema(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  return (
    [...submissionSchemas.values()].some((schema) => schema.safeParse(value).success) ||
    chatRequestSchema.safeParse(value).success ||
    createKeySchema.safeParse(value).success ||
    grantCreditsSchema.safeParse(value).success ||
    quoteRequestSchema.safeParse(value).success
  );
}

/** Header values fetch can send: no CR, LF or NUL, bytes as Latin-1. */
function headerValue(text: string): string {
  return Buffer.from(text.replace(/[\r\n\0]/g, ' '), 'utf8')
    .toString('latin1')
    .trim();
}

describe('bad requests, generated', () => {
  let gateway: TestGateway;
  const keys: Record<string, TestKey> = {};

  beforeAll(async () => {
    gateway = await startGateway();
    // Keys that can never pay for a task, so whatever passes is refused at the credits check at the latest...
    keys['broke'] = await createKey(gateway, { credits: 0 });
    keys['narrow'] = await createKey(gateway, { scopes: ['summarization'], credits: 0 });
    keys['revoked'] = await createKey(gateway, { credits: 50 });
    await call(gateway.url, 'DELETE', `/v1/admin/keys/${keys['revoked'].id}`, { token: ADMIN_TOKEN });
    // ...and one that could, which only ever sends bodies no schema accepts.
    keys['funded'] = await createKey(gateway, { credits: 1_000 });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('refuses them with a 4xx error body, never a 5xx, and moves no credit', async () => {
    const before = Object.fromEntries(
      await Promise.all(
        Object.entries(keys).map(async ([name, key]) => [name, await creditState(gateway, key.id)]),
      ),
    );
    const typeNames = taskTypes.names;
    const segment = fc.oneof(
      fc.constantFrom(
        ...typeNames,
        'tasks',
        'quotes',
        'chat',
        'admin',
        'keys',
        'account',
        '',
        '..',
        '%00',
        '%2F',
      ),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      fc.uuid(),
    );
    const query = fc
      .dictionary(
        fc.constantFrom('status', 'type', 'limit', 'cursor', 'before', 'x'),
        fc.string({ maxLength: 20 }),
      )
      .map((entries) => new URLSearchParams(entries).toString());
    const route = fc.oneof(
      fc.record({ method: fc.constant('POST'), path: segment.map((type) => `/v1/${type}`) }),
      fc.record({ method: fc.constant('POST'), path: segment.map((type) => `/v1/tasks/${type}`) }),
      fc.record({ method: fc.constant('POST'), path: fc.constantFrom('/v1/quotes', '/v1/chat/completions') }),
      fc.record({ method: fc.constantFrom('GET', 'DELETE'), path: segment.map((id) => `/v1/tasks/${id}`) }),
      fc.record({ method: fc.constant('GET'), path: segment.map((id) => `/v1/tasks/${id}/events`) }),
      fc.record({ method: fc.constant('GET'), path: query.map((q) => `/v1/tasks?${q}`) }),
      fc.record({ method: fc.constant('GET'), path: query.map((q) => `/v1/account/ledger?${q}`) }),
      fc.record({ method: fc.constantFrom('GET', 'POST'), path: fc.constant('/v1/admin/keys') }),
      fc.record({
        method: fc.constantFrom('GET', 'DELETE', 'POST'),
        path: fc
          .tuple(segment, fc.constantFrom('', '/credits', '/ledger'))
          .map(([id, tail]) => `/v1/admin/keys/${id}${tail}`),
      }),
      fc.record({
        method: fc.constantFrom('PUT', 'PATCH', 'POST', 'GET', 'DELETE', 'OPTIONS'),
        path: fc.tuple(segment, segment).map(([a, b]) => `/v1/${a}/${b}`),
      }),
    );
    const validInput = fc.constantFrom(
      { operation: 'add', a: '1', b: '2' },
      { text: 'A short text. With two sentences.' },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      // Deep nesting, huge numbers, prototype-polluting keys, broken JSON, odd unicode, large bodies.
      hostileJsonText(),
      fc.string({ maxLength: 200 }),
      // Near misses of real bodies: a field of the wrong type, an unknown priority, a bad callback, odd strings.
      fc
        .record(
          {
            input: fc.oneof(validInput, fc.jsonValue({ maxDepth: 3 })),
            priority: fc.oneof(fc.constantFrom('low', 'normal', 'urgent'), fc.string({ maxLength: 10 })),
            callback_url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 })),
            task_type: fc.oneof(fc.constantFrom(...typeNames), fc.string({ maxLength: 10 })),
            stream: fc.oneof(fc.boolean(), fc.string({ maxLength: 5 })),
            model: fc.string({ maxLength: 10 }),
            messages: fc.jsonValue({ maxDepth: 2 }),
            name: fc.string({ maxLength: 10 }),
            scopes: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
            amount: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 })),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc
        .string({ unit: 'binary', maxLength: 20 })
        .map((text) => JSON.stringify({ input: { text, operation: 'add', a: text, b: '1' } })),
      fc.constantFrom(
        '{"__proto__":{"admin":true},"input":{}}',
        '{"constructor":{"prototype":{}}}',
        '[]',
        'null',
        '',
      ),
    );
    const request = fc.record({
      route,
      body,
      auth: fc.constantFrom(
        'none',
        'garbage',
        'unknown',
        'broke',
        'narrow',
        'revoked',
        'funded',
        'admin',
        'admin-wrong',
      ),
      contentType: fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        undefined,
      ),
      idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
      prefer: fc.option(fc.oneof(fc.constant('wait=1'), fc.string({ maxLength: 20 })), { nil: undefined }),
    });

    let sent = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        request,
        async ({ route: { method, path }, body: text, auth, contentType, idempotencyKey, prefer }) => {
          fc.pre(!passesASchema(text));
          const headers: Record<string, string> = {};
          const token =
            auth === 'none'
              ? undefined
              : auth === 'garbage'
                ? 'garbage token'
                : auth === 'unknown'
                  ? `vsk_${'B'.repeat(43)}`
                  : auth === 'admin'
                    ? ADMIN_TOKEN
                    : auth === 'admin-wrong'
                      ? `${ADMIN_TOKEN}x`
                      : keys[auth]?.secret;
          if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
          if (contentType !== undefined) headers['content-type'] = contentType;
          if (idempotencyKey !== undefined) headers['idempotency-key'] = headerValue(idempotencyKey);
          if (prefer !== undefined) headers['prefer'] = headerValue(prefer);
          const hasBody = method !== 'GET' && method !== 'OPTIONS';
          const answer = await call(gateway.url, method, path, {
            headers,
            ...(hasBody ? { body: text } : {}),
          });
          sent += 1;
          const described = `${method} ${path} (${auth}) ${text.slice(0, 200)}: ${answer.text.slice(0, 300)}`;
          expect(answer.status, described).toBeLessThan(500);
          // Some generated reads are fine requests (a listing with a good query); everything else is refused.
          if (answer.status < 400) return;
          refused += 1;
          expect(answer.body.error.code, described).toEqual(expect.any(String));
          expect(answer.body.error.message, described).toEqual(expect.any(String));
        },
      ),
      {
        numRuns: Number(process.env['GATEWAY_PROPERTY_RUNS'] ?? 400),
        seed: Number(process.env['GATEWAY_PROPERTY_SEED'] ?? Date.now() % 2_147_483_647),
      },
    );
    expect(sent).toBeGreaterThan(200);
    expect(refused / sent).toBeGreaterThan(0.8);

    for (const [name, key] of Object.entries(keys)) {
      expect(await creditState(gateway, key.id), name).toEqual(before[name]);
    }
    const { rows } = await gateway.db.query(`SELECT count(*)::int AS n FROM gateway_tasks`);
    expect(rows[0].n).toBe(0);
  }, 120_000);
});
