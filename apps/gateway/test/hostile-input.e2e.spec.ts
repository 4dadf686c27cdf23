import { taskTypes } from '@vstack/protocol';
import {
  closeHostileConnections,
  type FuzzRoute,
  fuzzRawBytes,
  fuzzRoute,
  fuzzRuns,
  hostileQuery,
  hostileSegment,
  memoryLine,
  residentBytes,
  hostilePath,
  RSS_GROWTH_LIMIT_BYTES,
} from '@vstack/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGatewayProcess } from './support/gateway-process';
import { ADMIN_TOKEN, call, METRICS_TOKEN } from './support/harness';

// Generated hostile requests against the built gateway: every route, odd methods, headers, bodies and bytes.
// Each route gets FUZZ_RUNS cases (200 by default; RELIABILITY.md has the long run's figures).

const segment = (known: readonly string[]) =>
  fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...known) }, { weight: 3, arbitrary: hostileSegment });

describe('the gateway process under generated hostile input', () => {
  let gateway: GatewayProcess;
  const tokens: string[] = [ADMIN_TOKEN, METRICS_TOKEN];
  let keyId = '';
  let rssBefore = 0;
  let memoryBefore = '';
  let sent = 0;

  beforeAll(async () => {
    gateway = await startGatewayProcess('gateway_fuzz', {
      GATEWAY_MAX_WAIT_SECONDS: '1',
      GATEWAY_DEFAULT_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    for (const credits of [0, 50]) {
      const created = await call(gateway.url, 'POST', '/v1/admin/keys', {
        token: ADMIN_TOKEN,
        json: { name: `fuzz ${credits}`, scopes: ['arithmetic'], credits, rate_limit_per_minute: 1_000_000 },
      });
      expect(created.status).toBe(201);
      tokens.push(created.body.secret);
      keyId = created.body.id;
    }
    // Warm up before the first reading, so what the JIT and pools take once is not counted as growth.
    await fuzzRoute(
      gateway.port,
      { name: 'warm-up', methods: ['GET'], path: hostilePath('v1', 'account') },
      {
        tokens,
        runs: 100,
      },
    );
    rssBefore = await residentBytes(gateway.url, METRICS_TOKEN);
    memoryBefore = await memoryLine(gateway.url, METRICS_TOKEN);
  }, 90_000);

  afterAll(async () => {
    closeHostileConnections();
    await gateway.stop();
  });

  const types = taskTypes.names;
  const routes: FuzzRoute[] = [
    { name: 'POST /v1/:taskType', methods: ['POST'], path: hostilePath('v1', segment(types)) },
    { name: 'POST /v1/tasks/:taskType', methods: ['POST'], path: hostilePath('v1', 'tasks', segment(types)) },
    { name: 'POST /v1/quotes', methods: ['POST'], path: hostilePath('v1', 'quotes') },
    { name: 'POST /v1/chat/completions', methods: ['POST'], path: hostilePath('v1', 'chat', 'completions') },
    {
      name: 'GET /v1/tasks',
      methods: ['GET'],
      path: hostileQuery.map((query) => `/v1/tasks${query}`),
    },
    {
      name: 'GET, DELETE /v1/tasks/:id',
      methods: ['GET', 'DELETE'],
      path: hostilePath('v1', 'tasks', hostileSegment),
    },
    {
      name: 'GET /v1/tasks/:id/events',
      methods: ['GET'],
      path: hostilePath('v1', 'tasks', hostileSegment, 'events'),
    },
    { name: 'GET /v1/account', methods: ['GET'], path: hostilePath('v1', 'account') },
    {
      name: 'GET /v1/account/ledger',
      methods: ['GET'],
      path: hostileQuery.map((query) => `/v1/account/ledger${query}`),
    },
    { name: 'GET, POST /v1/admin/keys', methods: ['GET', 'POST'], path: hostilePath('v1', 'admin', 'keys') },
    {
      name: 'GET, DELETE, POST /v1/admin/keys/:id[/credits|/ledger]',
      methods: ['GET', 'DELETE', 'POST'],
      path: fc
        .tuple(fc.oneof(fc.uuid(), hostileSegment), fc.constantFrom('', '/credits', '/ledger'), hostileQuery)
        .map(([id, tail, query]) => `/v1/admin/keys/${id}${tail}${query}`),
    },
    {
      name: 'GET /docs, /health, /metrics',
      methods: ['GET'],
      path: fc.constantFrom('/docs', '/docs/openapi.json', '/health/live', '/health/ready', '/metrics'),
    },
    {
      name: 'anything else',
      methods: ['GET', 'POST', 'PUT'],
      path: fc
        .array(hostileSegment, { minLength: 1, maxLength: 4 })
        .map((segments) => `/${segments.join('/')}`),
    },
  ];

  for (const route of routes) {
    it(`answers ${route.name} with a 4xx JSON error or a success, never a 5xx`, async () => {
      const result = await fuzzRoute(gateway.port, route, { tokens, headers: ['prefer', 'idempotency-key'] });
      sent += result.sent;
      expect(result.sent).toBe(fuzzRuns());
    }, 300_000);
  }

  it('answers bytes that are not HTTP with a 4xx JSON error or by closing the connection', async () => {
    sent += await fuzzRawBytes(gateway.port);
  }, 300_000);

  it('is still serving, created no credit, and its memory stayed bounded', async () => {
    expect((await call(gateway.url, 'GET', '/health/ready')).status).toBe(200);
    const key = await call(gateway.url, 'GET', `/v1/admin/keys/${keyId}`, { token: ADMIN_TOKEN });
    expect(key.status).toBe(200);
    expect(key.body.balance).toBeLessThanOrEqual(50);
    const rssAfter = await residentBytes(gateway.url, METRICS_TOKEN);
    process.stdout.write(
      `gateway fuzz: ${sent} requests; after warm-up ${memoryBefore}; at the end ${await memoryLine(gateway.url, METRICS_TOKEN)}\n`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);
  });
});
