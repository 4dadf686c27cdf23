import { Body, Controller, Get, Module, Post, Req } from '@nestjs/common';
import { parseConfig, serviceVariables, redisVariables } from '@vstack/config';
import {
  createRpcClient,
  EventHandler,
  type EventPayload,
  isContractError,
  RpcHandler,
  RpcPayload,
  type RpcRequest,
  type RpcResponse,
  rpcError,
} from '@vstack/contracts';
import { createLogger } from '@vstack/observability';
import {
  deleteRedisKeysWithPrefix,
  type HostileRequest,
  sendHostile,
  sendRawBytes,
  uniqueTestName,
} from '@vstack/testing';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import { createServiceApp, type ServiceHandle } from './bootstrap';
import { RequestError, RequestErrorCode } from './errors';
import { ReadinessRegistry } from './readiness.registry';
import { ZodValidationPipe } from './zod-validation.pipe';

const echoBody = z.object({ name: z.string().min(1), count: z.number().int().positive() });

class QuotaError extends Error {
  readonly code = 'quota_exhausted';
  readonly httpStatus = 429;
}

@Controller('test')
class TestController {
  @Post('echo')
  echo(@Body(new ZodValidationPipe(echoBody)) body: z.output<typeof echoBody>): { received: typeof body } {
    return { received: body };
  }

  @Get('boom')
  boom(): never {
    throw new Error('database password is hunter2');
  }

  @Get('quota')
  quota(): never {
    throw new QuotaError('quota used up for this window');
  }

  @Post('raw')
  raw(@Req() request: { rawBody?: Buffer }): { rawBody: string | null } {
    return { rawBody: request.rawBody ? request.rawBody.toString('utf8') : null };
  }

  @Get('refused')
  refused(): never {
    throw new RequestError(RequestErrorCode.Forbidden, 403, 'not yours');
  }
}

@Module({ controllers: [TestController] })
class TestModule {}

const schema = z.object({ ...serviceVariables(0), ...redisVariables });

async function start(
  env: Record<string, string>,
  extraCheck?: boolean,
  rawBody?: boolean,
): Promise<{ handle: ServiceHandle; url: string; logs: string[] }> {
  const config = parseConfig('test', schema, { PORT: '1', ...env });
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const logger = createLogger({ service: 'test', level: 'info', format: 'json', destination: stream });
  const handle = await createServiceApp(
    {
      service: 'test',
      schema,
      module: () => TestModule,
      usesRedis: true,
      bodyLimitBytes: 1024,
      rawBody: rawBody ?? false,
    },
    config,
    logger,
  );
  if (extraCheck) {
    handle.app
      .get(ReadinessRegistry)
      .add({ name: 'chain', check: () => Promise.resolve({ ok: false, detail: 'no head' }) });
  }
  await handle.app.listen(0, '127.0.0.1');
  const address = (handle.app.getHttpServer() as Server).address() as AddressInfo;
  return { handle, url: `http://127.0.0.1:${address.port}`, logs };
}

describe('a service built by createServiceApp', () => {
  let service: Awaited<ReturnType<typeof start>>;
  const token = 'metrics-token-0123456789';

  beforeAll(async () => {
    service = await start({ REDIS_URL: inject('redisUrl'), METRICS_TOKEN: token });
  });
  afterAll(async () => {
    await service.handle.close();
  });

  it('answers liveness and readiness with the Redis check', async () => {
    const live = await fetch(`${service.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { redis: { ok: true } } });
  });

  it('guards /metrics with the bearer token and counts requests by route template', async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${service.url}/metrics`, {
      headers: { authorization: 'Bearer wrong-token-value' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: { code: 'unauthorized', message: 'the metrics token is wrong' },
    });
    await fetch(`${service.url}/test/quota`);
    const ok = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).toContain(
      'vstack_http_requests_total{method="GET",route="/test/quota",service="test",status_code="429"} 1',
    );
    expect(text).toContain('vstack_http_requests_in_progress');
  });

  it('validates bodies and names each bad field', async () => {
    const response = await fetch(`${service.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', count: -1 }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain('name:');
    expect(body.error.message).toContain('count:');
    const good = await fetch(`${service.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'a', count: 2 }),
    });
    expect(await good.json()).toEqual({ received: { name: 'a', count: 2 } });
  });

  it('answers malformed JSON, oversized bodies and unknown routes with JSON 4xx', async () => {
    const malformed = await fetch(`${service.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    const large = await fetch(`${service.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
    });
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    const missing = await fetch(`${service.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('answers what the router and Node refuse before any route (bad URLs, long parameters, no Host, odd types) in JSON', async () => {
    const port = Number(new URL(service.url).port);
    const cases: [HostileRequest, number, string][] = [
      [{ method: 'GET', path: '/test/%zz', headers: {} }, 400, 'invalid_url'],
      [{ method: 'GET', path: `/health/${'a'.repeat(300)}`, headers: {} }, 404, 'not_found'],
      [
        { method: 'POST', path: '/test/echo', headers: { 'content-type': '' }, body: '{}' },
        415,
        'unsupported_media_type',
      ],
      [
        { method: 'GET', path: '/health/live', headers: { 'x-padding': 'p'.repeat(20_000) } },
        431,
        'headers_too_large',
      ],
    ];
    for (const [request, status, code] of cases) {
      const answer = await sendHostile(port, request);
      expect([answer.status, JSON.parse(answer.text)], request.path.slice(0, 40)).toEqual([
        status,
        { error: { code, message: expect.any(String) } },
      ]);
    }
    const noHost = await sendRawBytes(port, Buffer.from('GET /health/live HTTP/1.1\r\n\r\n'));
    expect([noHost.status, JSON.parse(noHost.text)]).toEqual([
      400,
      { error: { code: 'bad_http_request', message: expect.any(String) } },
    ]);
    const garbage = await sendRawBytes(port, Buffer.from('BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect([garbage.status, JSON.parse(garbage.text)]).toEqual([
      400,
      { error: { code: 'bad_http_request', message: expect.any(String) } },
    ]);
  });

  it('maps coded errors to their status and hides unknown ones behind a 500', async () => {
    const quota = await fetch(`${service.url}/test/quota`);
    expect(quota.status).toBe(429);
    expect(await quota.json()).toEqual({
      error: { code: 'quota_exhausted', message: 'quota used up for this window' },
    });
    const refused = await fetch(`${service.url}/test/refused`);
    expect(refused.status).toBe(403);
    const boom = await fetch(`${service.url}/test/boom`);
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
  });

  it('echoes a valid correlation id, makes one otherwise, and logs with it', async () => {
    const given = await fetch(`${service.url}/test/refused`, { headers: { 'x-correlation-id': 'abc-123' } });
    expect(given.headers.get('x-correlation-id')).toBe('abc-123');
    const made = await fetch(`${service.url}/health/live`, {
      headers: { 'x-correlation-id': 'bad id with spaces' },
    });
    expect(made.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
    const refusedLine = service.logs.find((line) => line.includes('"correlationId":"abc-123"'));
    expect(refusedLine).toContain('request refused');
  });
});

describe('readiness with a failing dependency', () => {
  it('answers 503 naming the failing check', async () => {
    const service = await start({ REDIS_URL: inject('redisUrl') }, true);
    try {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'unavailable',
        checks: { redis: { ok: true }, chain: { ok: false, detail: 'no head' } },
      });
      expect((await fetch(`${service.url}/metrics`)).status).toBe(403);
    } finally {
      await service.handle.close();
    }
  });

  it('reports Redis as down when nothing listens', async () => {
    const service = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { redis: { ok: false } } });
    } finally {
      await service.handle.close();
    }
  });
});

describe('raw request bodies', () => {
  it('keeps the bytes as sent only when the service asks for them', async () => {
    const sent = '{ "b": 1,   "a": "\u00e9" }';
    const withRaw = await start({ REDIS_URL: inject('redisUrl') }, false, true);
    const withoutRaw = await start({ REDIS_URL: inject('redisUrl') });
    try {
      const post = (url: string) =>
        fetch(`${url}/test/raw`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: sent,
        });
      expect(await (await post(withRaw.url)).json()).toEqual({ rawBody: sent });
      expect(await (await post(withoutRaw.url)).json()).toEqual({ rawBody: null });
    } finally {
      await withRaw.handle.close();
      await withoutRaw.handle.close();
    }
  });
});

const heardBlocks: EventPayload<'chain.block.new'>[] = [];
const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

@Controller()
class RpcTestController {
  @RpcHandler('scores.weights')
  weights(
    @RpcPayload('scores.weights') request: RpcRequest<'scores.weights'>,
  ): RpcResponse<'scores.weights'> {
    if (request.netuid === 0) throw rpcError('NO_SUBNET', 'netuid 0 has no scores');
    return { weights: { [hotkey]: 1 }, epoch: request.netuid };
  }

  @EventHandler('chain.block.new')
  block(@RpcPayload('chain.block.new') event: EventPayload<'chain.block.new'>): void {
    heardBlocks.push(event);
  }
}

@Module({ controllers: [RpcTestController] })
class RpcTestModule {}

describe('a service that answers RPC', () => {
  const prefix = uniqueTestName('runtime_rpc');

  afterAll(async () => {
    await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
  });

  it('answers requests and hears events on the Redis transport under its prefix once listening', async () => {
    const rpcSchema = z.object({ ...serviceVariables(0), ...redisVariables });
    const config = parseConfig('rpc-test', rpcSchema, {
      PORT: '1',
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
    });
    const logger = createLogger({ service: 'rpc-test', level: 'silent', format: 'json' });
    const handle = await createServiceApp(
      { service: 'rpc-test', schema: rpcSchema, module: () => RpcTestModule, usesRedis: true, rpc: true },
      config,
      logger,
    );
    const client = createRpcClient({ redisUrl: inject('redisUrl'), prefix, timeoutMs: 2_000 });
    try {
      await handle.listen(0, '127.0.0.1');
      expect(await client.send('scores.weights', { netuid: 3 })).toEqual({
        weights: { [hotkey]: 1 },
        epoch: 3,
      });
      const refused = await client.send('scores.weights', { netuid: 0 }).catch((error: unknown) => error);
      expect(isContractError(refused)).toBe(true);
      expect(refused).toMatchObject({ remoteCode: 'NO_SUBNET' });
      const block = { block: 12, hash: `0x${'cd'.repeat(32)}` };
      await client.emit('chain.block.new', block);
      await vi.waitFor(() => {
        expect(heardBlocks).toEqual([block]);
      });
    } finally {
      await client.close();
      await handle.close();
    }
  });
});
