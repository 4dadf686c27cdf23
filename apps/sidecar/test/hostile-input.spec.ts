import {
  closeHostileConnections,
  type FuzzRoute,
  fuzzRawBytes,
  fuzzRoute,
  fuzzRuns,
  hostileSegment,
  memoryLine,
  residentBytes,
  type RunningDevnet,
  startDevnet,
  hostilePath,
  RSS_GROWTH_LIMIT_BYTES,
} from '@vstack/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE_TOKEN,
  get,
  METRICS_TOKEN,
  OPEN_TOKEN,
  type RunningSidecar,
  startSidecar,
} from './sidecar-process';

// Generated hostile requests against the built sidecar on the real devnet: every route of its REST API, odd
// methods, headers (X-Timeout-Ms among them), bodies and bytes. Each route gets FUZZ_RUNS cases (200 by default).

const segment = (...known: string[]) =>
  fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...known) }, { weight: 2, arbitrary: hostileSegment });

describe('the sidecar process under generated hostile input', () => {
  let devnet: RunningDevnet;
  let sidecar: RunningSidecar;
  let port = 0;
  let rssBefore = 0;
  let memoryBefore = '';
  let sent = 0;
  const tokens = [OPEN_TOKEN, ALICE_TOKEN, METRICS_TOKEN];

  beforeAll(async () => {
    devnet = await startDevnet();
    sidecar = await startSidecar('sidecar_fuzz', devnet, { SIDECAR_REQUEST_TIMEOUT_MS: '10000' });
    port = Number(new URL(sidecar.url).port);
    await fuzzRoute(
      port,
      { name: 'warm-up', methods: ['GET'], path: hostilePath('api', 'v1', 'block', 'latest') },
      {
        tokens,
        runs: 100,
      },
    );
    rssBefore = await residentBytes(sidecar.url, METRICS_TOKEN);
    memoryBefore = await memoryLine(sidecar.url, METRICS_TOKEN);
  }, 120_000);

  afterAll(async () => {
    closeHostileConnections();
    await sidecar.stop();
    await devnet.stop();
  });

  const netuid = segment('1', '0', '2', '65535', '65536');
  const block = segment('latest', '1', '0', '999999999');
  const identity = segment('alice', 'bob', 'Alice');
  const routes: FuzzRoute[] = [
    {
      name: 'GET /api/v1/subnet/:netuid/block/:block/neurons|validators',
      methods: ['GET'],
      path: fc
        .tuple(netuid, block, fc.constantFrom('neurons', 'validators'))
        .chain(([n, b, what]) => hostilePath('api', 'v1', 'subnet', n, 'block', b, what)),
    },
    {
      name: 'GET /api/v1/identity/:name/subnet/:netuid/block/:block/neurons|validators',
      methods: ['GET'],
      path: fc
        .tuple(identity, netuid, block, fc.constantFrom('neurons', 'validators'))
        .chain(([name, n, b, what]) =>
          hostilePath('api', 'v1', 'identity', name, 'subnet', n, 'block', b, what),
        ),
    },
    {
      name: 'PUT /api/v1/identity/:name/subnet/:netuid/weights',
      methods: ['PUT'],
      path: fc
        .tuple(identity, netuid)
        .chain(([name, n]) => hostilePath('api', 'v1', 'identity', name, 'subnet', n, 'weights')),
    },
    {
      name: 'GET /api/v1/identity/:name/subnet/:netuid/weights/history',
      methods: ['GET'],
      path: fc
        .tuple(identity, netuid)
        .chain(([name, n]) => hostilePath('api', 'v1', 'identity', name, 'subnet', n, 'weights', 'history')),
    },
    {
      name: 'GET /api/v1/block/latest, /api/v1/identities',
      methods: ['GET'],
      path: fc.constantFrom('block/latest', 'identities').chain((tail) => hostilePath('api', 'v1', tail)),
    },
    {
      name: 'GET /docs, /schema/swagger, /health, /metrics',
      methods: ['GET'],
      path: fc.constantFrom('/docs', '/schema/swagger', '/health/live', '/health/ready', '/metrics'),
    },
    {
      name: 'anything else',
      methods: ['GET', 'POST', 'PUT'],
      path: fc
        .array(hostileSegment, { minLength: 1, maxLength: 5 })
        .map((segments) => `/api/v1/${segments.join('/')}`),
    },
  ];

  for (const route of routes) {
    it(`answers ${route.name} with a 4xx JSON error or a success, never a 5xx`, async () => {
      const result = await fuzzRoute(port, route, { tokens, headers: ['x-timeout-ms'] });
      sent += result.sent;
      expect(result.sent).toBe(fuzzRuns());
    }, 300_000);
  }

  it('answers bytes that are not HTTP with a 4xx JSON error or by closing the connection', async () => {
    sent += await fuzzRawBytes(port);
  }, 300_000);

  it('is still serving the metagraph, and its memory stayed bounded', async () => {
    const neurons = await get<{ neurons: Record<string, unknown> }>(
      sidecar,
      '/api/v1/subnet/1/block/latest/neurons',
    );
    expect(neurons.status).toBe(200);
    expect(Object.keys(neurons.body.neurons).length).toBeGreaterThan(0);
    const rssAfter = await residentBytes(sidecar.url, METRICS_TOKEN);
    process.stdout.write(
      `sidecar fuzz: ${sent} requests; after warm-up ${memoryBefore}; at the end ${await memoryLine(sidecar.url, METRICS_TOKEN)}\n`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);
  });
});
