import 'reflect-metadata';
import { Body, Controller, Get, Inject, Injectable, Module, Post, UseGuards } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpistulaExceptionFilter } from './epistula.filter';
import { EpistulaGuard, SkipEpistula, VerifiedEpistula } from './epistula.guard';
import { EpistulaModule } from './epistula.module';
import { EpistulaErrorCode } from './errors';
import { MemoryReplayCache } from './replay-cache';
import { signEpistulaRequest } from './sign';
import { type TestKeys, testKeys, testSignerPolicy } from './test-support';
import { EpistulaVerifier, type VerifiedEpistulaRequest } from './verify';

@Controller()
@UseGuards(EpistulaGuard)
class MinerController {
  @Post('inference')
  infer(@VerifiedEpistula() epistula: VerifiedEpistulaRequest | undefined, @Body() body: unknown) {
    return { hotkey: epistula?.signedBy, uuid: epistula?.uuid, body };
  }

  @Post('blob')
  blob(@VerifiedEpistula() epistula: VerifiedEpistulaRequest | undefined, @Body() body: Buffer) {
    return { hotkey: epistula?.signedBy, bytes: body.length };
  }

  @Post('text')
  text(@Body() body: string) {
    return { length: body.length };
  }

  @Get('models')
  models(@VerifiedEpistula() epistula: VerifiedEpistulaRequest | undefined) {
    return { hotkey: epistula?.signedBy };
  }

  @Get('health')
  @SkipEpistula()
  health() {
    return { ok: true };
  }
}

let keys: TestKeys;
let app: NestFastifyApplication;
let baseUrl: string;

async function call(
  path: string,
  init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'POST',
    ...(init.body === undefined ? {} : { body: init.body }),
    headers: init.headers ?? {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function signedHeaders(body: string | Buffer, contentType = 'application/json', signer = keys.validator) {
  return {
    'content-type': contentType,
    ...signEpistulaRequest(signer, body, { signedFor: keys.miner.address }).headers,
  };
}

beforeAll(async () => {
  keys = await testKeys();

  @Module({
    imports: [
      EpistulaModule.forRoot({
        hotkey: keys.miner.address,
        signerPolicy: testSignerPolicy(keys),
        replayCache: new MemoryReplayCache(),
      }),
    ],
    controllers: [MinerController],
  })
  class MinerModule {}

  // rawBody keeps the bytes of JSON bodies; useBodyParser adds other content types.
  app = await NestFactory.create<NestFastifyApplication>(MinerModule, new FastifyAdapter(), {
    rawBody: true,
    logger: false,
  });
  app.useBodyParser('application/octet-stream');
  app.useGlobalFilters(new EpistulaExceptionFilter(app.get(HttpAdapterHost)));
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
});

afterAll(async () => {
  await app.close();
});

describe('EpistulaGuard on a Fastify Nest app', () => {
  it('lets a signed request through and hands the verified hotkey to the handler', async () => {
    // Spacing that JSON re-serialisation would lose: only the raw bytes match the signature.
    const body = '{ "prompt" :  "hello" }';
    const response = await call('/inference', { body, headers: signedHeaders(body) });
    expect(response).toMatchObject({
      status: 201,
      body: { hotkey: keys.validator.address, body: { prompt: 'hello' } },
    });
  });

  it('verifies a GET, whose signed body is empty', async () => {
    const response = await call('/models', {
      method: 'GET',
      headers: signEpistulaRequest(keys.validator, '', { signedFor: keys.miner.address }).headers,
    });
    expect(response).toEqual({ status: 200, body: { hotkey: keys.validator.address } });
  });

  it('verifies binary bodies of a content type the app added a parser for', async () => {
    const body = Buffer.from([0, 255, 1, 254, 2, 253]);
    const response = await call('/blob', { body, headers: signedHeaders(body, 'application/octet-stream') });
    expect(response).toEqual({ status: 201, body: { hotkey: keys.validator.address, bytes: 6 } });
  });

  it('leaves routes marked @SkipEpistula() open', async () => {
    expect(await call('/health', { method: 'GET' })).toEqual({ status: 200, body: { ok: true } });
  });

  it('answers refusals with their status and { error: { code, message } }', async () => {
    const body = '{"prompt":"hello"}';
    const unsigned = await call('/inference', { body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toEqual({
      error: {
        code: EpistulaErrorCode.MissingHeader,
        message: 'the Epistula-Version header is missing',
        details: { header: 'Epistula-Version' },
      },
    });

    const stranger = await call('/inference', {
      body,
      headers: signedHeaders(body, 'application/json', keys.stranger),
    });
    expect(stranger).toMatchObject({
      status: 401,
      body: { error: { code: EpistulaErrorCode.UnknownSigner } },
    });

    const noPermit = await call('/inference', {
      body,
      headers: signedHeaders(body, 'application/json', keys.other),
    });
    expect(noPermit).toMatchObject({
      status: 403,
      body: { error: { code: EpistulaErrorCode.NoValidatorPermit } },
    });

    const tampered = await call('/inference', { body: '{"prompt":"hellO"}', headers: signedHeaders(body) });
    expect(tampered).toMatchObject({
      status: 401,
      body: { error: { code: EpistulaErrorCode.BadSignature } },
    });

    const headers = signedHeaders(body);
    expect((await call('/inference', { body, headers })).status).toBe(201);
    const replay = await call('/inference', { body, headers });
    expect(replay).toMatchObject({ status: 409, body: { error: { code: EpistulaErrorCode.Replayed } } });
  });

  it('refuses with 500 when a body arrives whose raw bytes the app did not keep', async () => {
    const body = 'plain text';
    const response = await call('/text', { body, headers: signedHeaders(body, 'text/plain') });
    expect(response).toMatchObject({
      status: 500,
      body: { error: { code: EpistulaErrorCode.RawBodyUnavailable } },
    });
  });
});

describe('EpistulaModule.forRootAsync', () => {
  it('builds the verifier from injected configuration', async () => {
    const CONFIG = Symbol('CONFIG');

    @Injectable()
    class Probe {
      constructor(@Inject(EpistulaVerifier) readonly verifier: EpistulaVerifier) {}
    }

    @Module({
      providers: [{ provide: CONFIG, useValue: { hotkey: keys.miner.address, maxAgeMs: 4_000 } }],
      exports: [CONFIG],
    })
    class ConfigModule {}

    @Module({
      imports: [
        EpistulaModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { hotkey: string; maxAgeMs: number }) => ({
            hotkey: config.hotkey,
            maxAgeMs: config.maxAgeMs,
            signerPolicy: testSignerPolicy(keys),
            replayCache: new MemoryReplayCache(),
          }),
        }),
      ],
      providers: [Probe],
    })
    class AsyncModule {}

    const context = await NestFactory.createApplicationContext(AsyncModule, { logger: false });
    try {
      const { verifier } = context.get(Probe);
      expect(verifier.hotkey).toBe(keys.miner.address);
      expect(verifier.replayWindowMs).toBe(6_000);
    } finally {
      await context.close();
    }
  });
});
