import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { loadHotkey } from '@vstack/chain';
import { type MinerProxyConfig, minerProxyConfigSchema, parseConfig } from '@vstack/config';
import { signEpistulaRequest, type SignEpistulaRequestOptions } from '@vstack/epistula';
import { createLogger } from '@vstack/observability';
import { createServiceApp, type ServiceHandle } from '@vstack/runtime';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import type { KeyringPair } from '@polkadot/keyring/types';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MetagraphCache, StaticMetagraphSource } from './metagraph-source';
import { MinerProxyModule } from './miner-proxy.module';

const TAO = 1_000_000_000n;
const METRICS_TOKEN = 'metrics-token-for-the-proxy-tests';

/** Samples of a Prometheus text exposition, keyed by name and sorted labels: `name{a="1",b="2"}`. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name = '', labels = '', value = ''] = match;
    const sorted = [...labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, key = '', text = '']) => `${key}="${text}"`)
      .sort()
      .join(',');
    samples.set(`${name}{${sorted}}`, Number(value));
  }
  return samples;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  raw: Buffer;
}

interface Upstream {
  server: Server;
  url: string;
  seen: Seen[];
  closed: string[];
  releaseStream: () => void;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const closed: string[] = [];
  let release: () => void = () => undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '';
      seen.push({
        method: request.method ?? '',
        url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        raw: Buffer.concat(chunks),
      });
      if (url.startsWith('/inference/hang') || url.startsWith('/inference/slow')) {
        response.on('close', () => closed.push(url));
        return;
      }
      if (url === '/tasks/broken-stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        setTimeout(() => response.destroy(), 20);
        return;
      }
      if (url === '/tasks/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.write('data: first\n\n');
        release = () => {
          response.end('data: second\n\n');
        };
        return;
      }
      response.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      response.end(JSON.stringify({ answer: 42, path: url }));
    });
  });
  const url = await listen(server);
  return {
    server,
    url,
    seen,
    closed,
    releaseStream: () => {
      release();
    },
  };
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

describe('miner-proxy over HTTP', () => {
  const prefix = uniqueTestName('miner_proxy');
  let upstream: Upstream;
  let handle: ServiceHandle;
  let proxyUrl: string;
  let miner: KeyringPair;
  let alice: KeyringPair;
  let bob: KeyringPair;
  let charlie: KeyringPair;
  let ferdie: KeyringPair;
  let eve: KeyringPair;
  const cache = new MetagraphCache(1, 5);
  const logLines: string[] = [];
  const sentSignatures: string[] = [];

  function fillMetagraph(block: number): void {
    cache.update({
      block,
      neurons: [
        { hotkey: alice.address, validatorPermit: true, stake: 100_000n * TAO },
        { hotkey: bob.address, validatorPermit: true, stake: 3_000n * TAO },
        { hotkey: charlie.address, validatorPermit: true, stake: 10n * TAO },
        { hotkey: ferdie.address, validatorPermit: false, stake: 50_000n * TAO },
        { hotkey: miner.address, validatorPermit: false, stake: 0n },
      ],
    });
  }

  function signed(
    signer: KeyringPair,
    body: string,
    options: SignEpistulaRequestOptions = {},
  ): Record<string, string> {
    const { headers } = signEpistulaRequest(signer, body, { signedFor: miner.address, ...options });
    sentSignatures.push(headers['Epistula-Request-Signature'] ?? '');
    return { 'content-type': 'application/json', ...headers };
  }

  async function scrape(): Promise<Map<string, number>> {
    const response = await fetch(`${proxyUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return parseMetrics(await response.text());
  }

  /** How much each sample grew while `action` ran (samples that did not change are left out). */
  async function metricsGrowth(action: () => Promise<void>): Promise<Record<string, number>> {
    const before = await scrape();
    await action();
    const after = await scrape();
    const growth: Record<string, number> = {};
    for (const [key, value] of after) {
      if (!key.startsWith('vstack_proxy_')) continue;
      const delta = value - (before.get(key) ?? 0);
      if (delta !== 0) growth[key] = delta;
    }
    return growth;
  }

  async function post(path: string, headers: Record<string, string>, body: string) {
    const response = await fetch(`${proxyUrl}${path}`, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  }

  async function expectRefusal(
    path: string,
    headers: Record<string, string>,
    body: string,
    status: number,
    code: string,
  ) {
    const before = upstream.seen.length;
    const response = await post(path, headers, body);
    expect(response.status).toBe(status);
    const parsed = JSON.parse(response.text) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe(code);
    expect(response.text).not.toContain(headers['Epistula-Request-Signature'] ?? 'no signature');
    expect(upstream.seen.length).toBe(before);
    return response;
  }

  beforeAll(async () => {
    const load = (uri: string) => loadHotkey({ kind: 'uri', uri });
    [miner, alice, bob, charlie, ferdie, eve] = await Promise.all([
      load('//Dave'),
      load('//Alice'),
      load('//Bob'),
      load('//Charlie'),
      load('//Ferdie'),
      load('//Eve'),
    ]);
    fillMetagraph(100);
    upstream = await startUpstream();
    const config: MinerProxyConfig = parseConfig('miner-proxy', minerProxyConfigSchema, {
      PORT: '1',
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      MINER_HOTKEY: '//Dave',
      INFERENCE_SERVER_URL: upstream.url,
      TRAINING_SERVER_URL: await closedPortUrl(),
      MAX_BODY_BYTES: '1024',
      MIN_VALIDATOR_STAKE: String(1_000n * TAO),
      RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '1',
      RATE_LIMIT_MIN_PER_MINUTE: '0',
      UPSTREAM_TIMEOUT_MS: '500',
      PROXY_ROUTES: `/extra=${upstream.url}/base`,
      METRICS_TOKEN,
    });
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
    const logger = createLogger({
      service: 'miner-proxy',
      level: 'debug',
      format: 'json',
      destination: stream,
    });
    handle = await createServiceApp(
      {
        service: 'miner-proxy',
        schema: minerProxyConfigSchema,
        module: () =>
          MinerProxyModule.forRoot(config, logger, { metagraph: new StaticMetagraphSource(cache) }),
        usesRedis: true,
      },
      config,
      logger,
    );
    await handle.app.listen(0, '127.0.0.1');
    proxyUrl = `http://127.0.0.1:${((handle.app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await handle.close();
    upstream.server.closeAllConnections();
    await new Promise((resolve) => upstream.server.close(resolve));
    await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
  });

  it('forwards a signed request with the verified hotkey and returns the answer', async () => {
    const body = JSON.stringify({ task_type: 'arithmetic', a: '2', b: '3' });
    const response = await post(
      '/inference?x=1',
      { ...signed(alice, body), 'x-epistula-verified-hotkey': bob.address },
      body,
    );
    expect(response.status).toBe(201);
    expect(JSON.parse(response.text)).toEqual({ answer: 42, path: '/inference?x=1' });
    expect(response.headers.get('x-upstream')).toBe('yes');
    const seen = upstream.seen.at(-1);
    expect(seen?.body).toBe(body);
    expect(seen?.method).toBe('POST');
    expect(seen?.headers['x-epistula-verified-hotkey']).toBe(alice.address);
  });

  it('strips hop-by-hop headers, including those the Connection header names', async () => {
    const body = '{"a":1}';
    const headers = {
      ...signed(alice, body),
      connection: 'keep-alive, x-hop',
      'x-hop': 'secret',
      'x-kept': 'yes',
    };
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${proxyUrl}/inference`, { method: 'POST', headers }, (response) => {
        response.resume();
        response.on('end', () => {
          resolve(response.statusCode ?? 0);
        });
      });
      request.on('error', reject);
      request.end(body);
    });
    expect(status).toBe(201);
    const seen = upstream.seen.at(-1);
    expect(seen?.headers['x-hop']).toBeUndefined();
    expect(seen?.headers['x-kept']).toBe('yes');
  });

  it('forwards bodies of any content type byte for byte, and GETs without a body', async () => {
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    const { headers } = signEpistulaRequest(alice, bytes, { signedFor: miner.address });
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${proxyUrl}/inference/bytes`, { method: 'PUT', headers }, (response) => {
        response.resume();
        response.on('end', () => {
          resolve(response.statusCode ?? 0);
        });
      });
      request.on('error', reject);
      request.end(bytes);
    });
    expect(status).toBe(201);
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'PUT', url: '/inference/bytes' });
    expect(upstream.seen.at(-1)?.headers['content-type']).toBeUndefined();
    expect(upstream.seen.at(-1)?.raw.equals(bytes)).toBe(true);
    const get = await fetch(`${proxyUrl}/inference/models`, { headers: signed(alice, '') });
    expect(get.status).toBe(201);
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'GET', url: '/inference/models', body: '' });
  });

  it('routes /tasks/<type> to the inference server and streams SSE chunk by chunk', async () => {
    const response = await fetch(`${proxyUrl}/tasks/stream`, {
      method: 'POST',
      headers: signed(alice, '{}'),
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('data: first\n\n');
    upstream.releaseStream();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value);
    }
    expect(rest).toBe('data: second\n\n');
  });

  it('cuts the answer off when the upstream breaks off mid-stream, and counts an upstream error', async () => {
    const growth = await metricsGrowth(async () => {
      const response = await fetch(`${proxyUrl}/tasks/broken-stream`, {
        method: 'POST',
        headers: signed(alice, '{}'),
        body: '{}',
      });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    });
    expect(growth).toMatchObject({
      'vstack_proxy_requests_total{outcome="upstream_error",route="/tasks"}': 1,
    });
    expect(Object.keys(growth).filter((key) => key.startsWith('vstack_proxy_requests_total'))).toHaveLength(
      1,
    );
  });

  it('serves the extra routes of PROXY_ROUTES under the upstream base path', async () => {
    const response = await post('/extra/one', signed(alice, '{}'), '{}');
    expect(response.status).toBe(201);
    expect(JSON.parse(response.text)).toEqual({ answer: 42, path: '/base/extra/one' });
  });

  it('refuses a wrong version with 400', async () => {
    const body = '{}';
    await expectRefusal(
      '/inference',
      { ...signed(alice, body), 'Epistula-Version': '1' },
      body,
      400,
      'epistula_unsupported_version',
    );
  });

  it('refuses a request signed for another hotkey with 400', async () => {
    await expectRefusal(
      '/inference',
      signed(alice, '{}', { signedFor: bob.address }),
      '{}',
      400,
      'epistula_not_signed_for_me',
    );
  });

  it('refuses an unregistered signer with 401', async () => {
    await expectRefusal('/inference', signed(eve, '{}'), '{}', 401, 'epistula_unknown_signer');
  });

  it('refuses a signer without a validator permit, or with too little stake, with 403', async () => {
    await expectRefusal('/inference', signed(ferdie, '{}'), '{}', 403, 'epistula_no_validator_permit');
    await expectRefusal('/inference', signed(charlie, '{}'), '{}', 403, 'epistula_insufficient_stake');
  });

  it('refuses an old timestamp with 400', async () => {
    await expectRefusal(
      '/inference',
      signed(alice, '{}', { timestamp: Date.now() - 60_000 }),
      '{}',
      400,
      'epistula_stale_timestamp',
    );
  });

  it('refuses a body changed after signing with 401', async () => {
    await expectRefusal('/inference', signed(alice, '{"a":1}'), '{"a":2}', 401, 'epistula_bad_signature');
  });

  it('refuses a replayed request with 409', async () => {
    const headers = signed(alice, '{}');
    expect((await post('/inference', headers, '{}')).status).toBe(201);
    await expectRefusal('/inference', headers, '{}', 409, 'epistula_replayed');
  });

  it('refuses a body over MAX_BODY_BYTES with 413 after the signature checks', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(2000) });
    await expectRefusal('/inference', signed(alice, body), body, 413, 'body_too_large');
    await expectRefusal('/inference', signed(eve, body), body, 401, 'epistula_unknown_signer');
  });

  it('cuts off a body far over the limit at once with 413', async () => {
    const body = 'x'.repeat(512 * 1024);
    const response = await post('/inference', signed(alice, body), body);
    expect(response.status).toBe(413);
    expect((JSON.parse(response.text) as { error: { code: string } }).error.code).toBe('body_too_large');
    expect(response.headers.get('connection')).toBe('close');
    expect(upstream.seen.every((seen) => seen.body !== body)).toBe(true);
  });

  it('limits each validator in proportion to its stake with 429 and Retry-After', async () => {
    // Bob's 3000 TAO at 1 request per minute per 1000 TAO: three requests, then wait.
    for (let i = 0; i < 3; i += 1) {
      expect((await post('/inference', signed(bob, '{}'), '{}')).status).toBe(201);
    }
    const refused = await expectRefusal('/inference', signed(bob, '{}'), '{}', 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await post('/inference', signed(alice, '{}'), '{}')).status).toBe(201);
  });

  it('refuses with 503 metagraph_stale when the metagraph falls behind the head', async () => {
    cache.noteHead(110);
    await expectRefusal('/inference', signed(alice, '{}'), '{}', 503, 'metagraph_stale');
    const status = await fetch(`${proxyUrl}/status`);
    expect(status.status).toBe(503);
    expect(await status.json()).toMatchObject({
      checks: { metagraph: { ok: false }, redis: { ok: true } },
      metagraph: { block: 100, head: 110, stale: true },
    });
    fillMetagraph(110);
    expect((await post('/inference', signed(alice, '{}'), '{}')).status).toBe(201);
  });

  it('answers 502 when the upstream is down and 504 when it is too slow', async () => {
    const growth = await metricsGrowth(async () => {
      const down = await post('/train', signed(alice, '{}'), '{}');
      expect(down.status).toBe(502);
      expect(JSON.parse(down.text)).toEqual({
        error: { code: 'upstream_unavailable', message: 'the upstream cannot be reached' },
      });
      const slow = await post('/inference/slow', signed(alice, '{}'), '{}');
      expect(slow.status).toBe(504);
      expect((JSON.parse(slow.text) as { error: { code: string } }).error.code).toBe('upstream_timeout');
    });
    expect(growth).toEqual({
      'vstack_proxy_requests_total{outcome="upstream_error",route="/train"}': 1,
      'vstack_proxy_requests_total{outcome="upstream_timeout",route="/inference"}': 1,
    });
  });

  it('aborts the upstream request when the client goes away', async () => {
    const controller = new AbortController();
    const pending = fetch(`${proxyUrl}/inference/hang`, {
      method: 'POST',
      headers: signed(alice, '{}'),
      body: '{}',
      signal: controller.signal,
    }).catch(() => 'aborted');
    await expect.poll(() => upstream.seen.some((seen) => seen.url === '/inference/hang')).toBe(true);
    const before = await scrape();
    controller.abort();
    expect(await pending).toBe('aborted');
    await expect.poll(() => upstream.closed.includes('/inference/hang')).toBe(true);
    const key = 'vstack_proxy_requests_total{outcome="client_gone",route="/inference"}';
    await expect.poll(async () => ((await scrape()).get(key) ?? 0) - (before.get(key) ?? 0)).toBe(1);
  });

  it('never forwards, and never fails with a 5xx, a request whose headers or body were tampered with', async () => {
    const names = [
      'Epistula-Version',
      'Epistula-Timestamp',
      'Epistula-Uuid',
      'Epistula-Signed-By',
      'Epistula-Signed-For',
      'Epistula-Request-Signature',
    ];
    const tamper = fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), name: fc.constantFrom(...names) }),
      fc.record({
        kind: fc.constant('replace' as const),
        name: fc.constantFrom(...names),
        value: fc.string({ maxLength: 80 }),
      }),
      fc.record({ kind: fc.constant('body' as const), body: fc.string({ maxLength: 200 }) }),
    );
    const before = upstream.seen.length;
    await fc.assert(
      fc.asyncProperty(tamper, async (change) => {
        const body = '{"a":1}';
        let headers = signed(alice, body);
        let sent = body;
        if (change.kind === 'drop') {
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== change.name));
        } else if (change.kind === 'replace') {
          fc.pre(change.value.trim() !== headers[change.name]);
          headers[change.name] = change.value;
        } else {
          fc.pre(change.body !== body);
          sent = change.body;
        }
        const response = await fetch(`${proxyUrl}/inference`, { method: 'POST', headers, body: sent });
        await response.arrayBuffer();
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(upstream.seen.length).toBe(before);
  });

  it('counts forwards and refusals by route and outcome, and refusals by code, on /metrics', async () => {
    const growth = await metricsGrowth(async () => {
      expect((await post('/inference', signed(alice, '{}'), '{}')).status).toBe(201);
      expect((await post('/tasks/arithmetic', signed(alice, '{}'), '{}')).status).toBe(201);
      await expectRefusal('/inference', signed(eve, '{}'), '{}', 401, 'epistula_unknown_signer');
      await expectRefusal(
        '/tasks/arithmetic',
        signed(ferdie, '{}'),
        '{}',
        403,
        'epistula_no_validator_permit',
      );
    });
    expect(growth).toEqual({
      'vstack_proxy_requests_total{outcome="forwarded",route="/inference"}': 1,
      'vstack_proxy_requests_total{outcome="forwarded",route="/tasks"}': 1,
      'vstack_proxy_requests_total{outcome="refused",route="/inference"}': 1,
      'vstack_proxy_requests_total{outcome="refused",route="/tasks"}': 1,
      'vstack_proxy_refusals_total{reason="epistula_unknown_signer"}': 1,
      'vstack_proxy_refusals_total{reason="epistula_no_validator_permit"}': 1,
      'vstack_proxy_upstream_duration_seconds_count{route="/inference",status_code="201"}': 1,
      'vstack_proxy_upstream_duration_seconds_count{route="/tasks",status_code="201"}': 1,
      'vstack_proxy_upstream_duration_seconds_sum{route="/inference",status_code="201"}': expect.any(Number),
      'vstack_proxy_upstream_duration_seconds_sum{route="/tasks",status_code="201"}': expect.any(Number),
      ...Object.fromEntries(
        Object.keys(growth)
          .filter((key) => key.startsWith('vstack_proxy_upstream_duration_seconds_bucket'))
          .map((key) => [key, 1]),
      ),
    });
    expect(
      Object.keys(growth).filter((key) => key.startsWith('vstack_proxy_upstream_duration_seconds_bucket')),
    ).toContain(
      'vstack_proxy_upstream_duration_seconds_bucket{le="+Inf",route="/inference",status_code="201"}',
    );
  });

  it('never writes bodies or signatures to the log', async () => {
    const marker = `body-marker-${Date.now()}`;
    const body = JSON.stringify({ prompt: marker });
    expect((await post('/inference', signed(alice, body), body)).status).toBe(201);
    await expectRefusal('/inference', signed(alice, body), `${body} `, 401, 'epistula_bad_signature');
    await expectRefusal('/inference', signed(eve, body), body, 401, 'epistula_unknown_signer');
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join('');
    expect(log).toContain('request refused');
    expect(log).not.toContain(marker);
    for (const signature of sentSignatures) expect(log).not.toContain(signature.slice(2));
  });

  it('answers GET / and reports components on GET /status', async () => {
    const root = await fetch(`${proxyUrl}/`);
    expect(await root.json()).toEqual({ status: 'ok', service: 'miner-proxy', hotkey: miner.address });
    const status = await fetch(`${proxyUrl}/status`);
    const report = (await status.json()) as { checks: Record<string, { ok: boolean }> };
    expect(report.checks[`upstream ${upstream.url}`]?.ok).toBe(true);
    expect(
      Object.entries(report.checks).find(
        ([name]) => name.startsWith('upstream') && name !== `upstream ${upstream.url}`,
      )?.[1].ok,
    ).toBe(false);
    expect(status.status).toBe(503);
  });
});
