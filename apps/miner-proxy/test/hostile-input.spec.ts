import type { KeyringPair } from '@polkadot/keyring/types';
import { loadHotkey } from '@vstack/chain';
import { EpistulaHeader, signEpistulaRequest } from '@vstack/epistula';
import {
  closeHostileConnections,
  type FuzzRoute,
  fuzzRawBytes,
  fuzzRoute,
  fuzzRuns,
  type HostileRequest,
  hostileSegment,
  memoryLine,
  residentBytes,
  uniqueTestName,
  hostilePath,
  RSS_GROWTH_LIMIT_BYTES,
} from '@vstack/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ProxyStack, startProxyStack } from './support/proxy-stack';

// Generated hostile requests against the built proxy (hotkey //Dave) in front of the demo miner, on the real
// devnet: unsigned and garbled Epistula requests, and requests //Alice signs properly around hostile bodies, which
// the proxy forwards. Each route gets FUZZ_RUNS cases (200 by default).

const METRICS_TOKEN = 'metrics-token-for-the-proxy-fuzz';

const epistulaHeaders = Object.values(EpistulaHeader).map((name) => name.toLowerCase());

describe('the miner-proxy process under generated hostile input', () => {
  const prefix = uniqueTestName('miner_proxy_fuzz');
  let stack: ProxyStack | undefined;
  let proxy: { url: string; port: number };
  let proxyUrl: string;
  let alice: KeyringPair;
  let dave: KeyringPair;
  let rssBefore = 0;
  let memoryBefore = '';
  let sent = 0;

  /** Signs the request as sent, by //Alice for //Dave, over the body bytes; the generated headers stay. */
  function signedByAlice(request: HostileRequest): HostileRequest {
    const body = request.body === undefined ? '' : request.body;
    const { headers } = signEpistulaRequest(alice, body, { signedFor: dave.address });
    const kept = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !epistulaHeaders.includes(name.toLowerCase())),
    );
    return { ...request, headers: { ...kept, ...headers } };
  }

  beforeAll(async () => {
    [alice, dave] = await Promise.all([
      loadHotkey({ kind: 'uri', uri: '//Alice' }),
      loadHotkey({ kind: 'uri', uri: '//Dave' }),
    ]);
    stack = await startProxyStack(inject('redisUrl'), prefix);
    proxy = await stack.startProxy({ MAX_BODY_BYTES: '262144', METRICS_TOKEN });
    proxyUrl = proxy.url;
    await fuzzRoute(
      proxy.port,
      { name: 'warm-up', methods: ['POST'], path: hostilePath('tasks', 'arithmetic') },
      {
        tokens: [METRICS_TOKEN],
        runs: 100,
        finish: signedByAlice,
      },
    );
    rssBefore = await residentBytes(proxyUrl, METRICS_TOKEN);
    memoryBefore = await memoryLine(proxyUrl, METRICS_TOKEN);
  }, 120_000);

  afterAll(async () => {
    closeHostileConnections();
    await stack?.stop();
  });

  const taskType = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('arithmetic', 'summarization', 'text-generation') },
    { weight: 2, arbitrary: hostileSegment },
  );
  const routes: FuzzRoute[] = [
    { name: '/inference', methods: ['POST', 'GET'], path: hostilePath('inference') },
    { name: '/tasks/:type', methods: ['POST'], path: taskType.chain((type) => hostilePath('tasks', type)) },
    { name: '/train', methods: ['POST'], path: hostilePath('train') },
    {
      name: 'GET /, /status, /health, /metrics',
      methods: ['GET'],
      path: fc.constantFrom('/', '/status', '/health/live', '/health/ready', '/metrics'),
    },
    {
      name: 'anything else',
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      path: fc
        .array(hostileSegment, { minLength: 1, maxLength: 4 })
        .map((segments) => `/${segments.join('/')}`),
    },
  ];

  for (const route of routes) {
    it(`answers unsigned and garbled requests to ${route.name} with a 4xx JSON error, never a 5xx`, async () => {
      const result = await fuzzRoute(proxy.port, route, {
        tokens: [METRICS_TOKEN],
        headers: epistulaHeaders,
      });
      sent += result.sent;
      expect(result.sent).toBe(fuzzRuns());
    }, 300_000);
  }

  for (const route of routes.slice(0, 2)) {
    it(`forwards properly signed hostile requests to ${route.name} and answers them without a 5xx`, async () => {
      const result = await fuzzRoute(proxy.port, route, { tokens: [], finish: signedByAlice });
      sent += result.sent;
      expect(result.sent).toBe(fuzzRuns());
    }, 300_000);
  }

  it('answers bytes that are not HTTP with a 4xx JSON error or by closing the connection', async () => {
    sent += await fuzzRawBytes(proxy.port);
  }, 300_000);

  it('still forwards signed requests, and its memory stayed bounded', async () => {
    const body = JSON.stringify({ operation: 'add', a: '2', b: '3' });
    const { headers } = signEpistulaRequest(alice, body, { signedFor: dave.address });
    const answer = await fetch(`${proxyUrl}/tasks/arithmetic`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ result: '5' });
    const rssAfter = await residentBytes(proxyUrl, METRICS_TOKEN);
    process.stdout.write(
      `miner-proxy fuzz: ${sent} requests; after warm-up ${memoryBefore}; at the end ${await memoryLine(proxyUrl, METRICS_TOKEN)}\n`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);
  });
});
