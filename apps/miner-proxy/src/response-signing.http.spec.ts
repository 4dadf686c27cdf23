import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { loadHotkey } from '@vstack/chain';
import { type MinerProxyConfig, minerProxyConfigSchema, parseConfig } from '@vstack/config';
import {
  EpistulaErrorCode,
  MemoryReplayCache,
  signEpistulaRequest,
  type SignatureWorkerPool,
  type SignedEpistulaRequest,
  verifyEpistulaResponse,
} from '@vstack/epistula';
import { createLogger } from '@vstack/observability';
import { createServiceApp, type ServiceHandle } from '@vstack/runtime';
import type { KeyringPair } from '@polkadot/keyring/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetagraphCache, StaticMetagraphSource } from './metagraph-source';
import { MinerProxyModule } from './miner-proxy.module';
import { SIGNATURE_WORKERS } from './tokens';

const answer = JSON.stringify({ result: '100000000000000000000', note: 'é and ✓ as UTF-8' });
const bigAnswer = JSON.stringify({ text: 'x'.repeat(400) });

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

// The proxy here also checks signatures on a worker thread (VERIFY_THREADS).
describe('miner-proxy with SIGN_RESPONSES', () => {
  let upstream: Server;
  let releaseStream: () => void = () => undefined;
  let handle: ServiceHandle;
  let proxyUrl: string;
  let miner: KeyringPair;
  let alice: KeyringPair;

  beforeAll(async () => {
    [miner, alice] = await Promise.all([
      loadHotkey({ kind: 'uri', uri: '//Dave' }),
      loadHotkey({ kind: 'uri', uri: '//Alice' }),
    ]);
    upstream = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        switch (request.url ?? '') {
          case '/inference/json':
            // The upstream's own Epistula headers never reach the validator: the proxy's replace them.
            response.writeHead(200, {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(answer),
              'epistula-response-signature': `0x${'00'.repeat(64)}`,
              'x-epistula-unsigned': 'streamed',
            });
            response.end(answer);
            return;
          case '/inference/big':
            response.writeHead(200, {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(bigAnswer),
            });
            response.end(bigAnswer);
            return;
          case '/inference/empty':
            response.writeHead(204).end();
            return;
          case '/inference/broken':
            response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
            response.write('{"partial":');
            setTimeout(() => response.destroy(), 20);
            return;
          case '/tasks/stream':
            response.writeHead(200, { 'content-type': 'text/event-stream' });
            response.write('data: first\n\n');
            releaseStream = () => response.end('data: [DONE]\n\n');
            return;
          default:
            response.writeHead(404).end();
        }
      });
    });
    const upstreamUrl = await listen(upstream);
    const cache = new MetagraphCache(1, 5);
    cache.update({
      block: 10,
      neurons: [
        { hotkey: alice.address, validatorPermit: true, stake: 1_000_000_000_000n },
        { hotkey: miner.address, validatorPermit: false, stake: 0n },
      ],
    });
    const config: MinerProxyConfig = parseConfig('miner-proxy', minerProxyConfigSchema, {
      PORT: '1',
      MINER_HOTKEY: '//Dave',
      INFERENCE_SERVER_URL: upstreamUrl,
      SIGN_RESPONSES: 'true',
      SIGN_RESPONSES_MAX_BYTES: '256',
      VERIFY_THREADS: '1',
      RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
    });
    const stream = new PassThrough();
    stream.resume();
    const logger = createLogger({
      service: 'miner-proxy',
      level: 'warn',
      format: 'json',
      destination: stream,
    });
    handle = await createServiceApp(
      {
        service: 'miner-proxy',
        schema: minerProxyConfigSchema,
        module: () =>
          MinerProxyModule.forRoot(config, logger, {
            metagraph: new StaticMetagraphSource(cache),
            replayCache: new MemoryReplayCache(),
          }),
      },
      config,
      logger,
    );
    await handle.app.listen(0, '127.0.0.1');
    proxyUrl = `http://127.0.0.1:${((handle.app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await handle.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  async function send(path: string): Promise<{ request: SignedEpistulaRequest; response: Response }> {
    const body = '{"operation":"add","a":"99999999999999999999","b":"1"}';
    const request = signEpistulaRequest(alice, body, { signedFor: miner.address });
    const response = await fetch(`${proxyUrl}${path}`, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json' },
      body,
    });
    return { request, response };
  }

  function verify(headers: Headers, body: Uint8Array, request: SignedEpistulaRequest) {
    return verifyEpistulaResponse(headers, body, {
      expectedSignedBy: miner.address,
      request: { uuid: request.uuid, signedBy: alice.address },
    });
  }

  it("signs the upstream's answer with the miner's hotkey for the validator that asked", async () => {
    const { request, response } = await send('/inference/json');
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(bytes).toString('utf8')).toBe(answer);
    expect(response.headers.get('epistula-signed-by')).toBe(miner.address);
    expect(response.headers.get('epistula-signed-for')).toBe(alice.address);
    expect(response.headers.get('x-epistula-unsigned')).toBeNull();
    await expect(verify(response.headers, bytes, request)).resolves.toMatchObject({
      signedBy: miner.address,
      uuid: request.uuid,
    });
  });

  it('gives a signature that fails once the body is altered, or for another request', async () => {
    const { request, response } = await send('/inference/json');
    const bytes = new Uint8Array(await response.arrayBuffer());
    // One character of the answer changed: "1000…" becomes "1001…".
    const altered = Buffer.from(Buffer.from(bytes).toString('utf8').replace('1000', '1001'), 'utf8');
    expect(altered.equals(bytes)).toBe(false);
    await expect(verify(response.headers, altered, request)).rejects.toMatchObject({
      code: EpistulaErrorCode.BadSignature,
    });
    const other = signEpistulaRequest(alice, '{}', { signedFor: miner.address });
    await expect(verify(response.headers, bytes, other)).rejects.toMatchObject({
      code: EpistulaErrorCode.UuidMismatch,
    });
  });

  it('signs an empty answer', async () => {
    const { request, response } = await send('/inference/empty');
    expect(response.status).toBe(204);
    expect(response.headers.get('content-length')).toBeNull();
    await expect(verify(response.headers, new Uint8Array(), request)).resolves.toMatchObject({
      uuid: request.uuid,
    });
  });

  it('streams an answer without Content-Length unsigned, marked streamed, chunk by chunk', async () => {
    const { response } = await send('/tasks/stream');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-epistula-unsigned')).toBe('streamed');
    expect(response.headers.get('epistula-response-signature')).toBeNull();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('data: first\n\n');
    releaseStream();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value);
    }
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('passes an answer over SIGN_RESPONSES_MAX_BYTES unsigned, marked too_large', async () => {
    const { response } = await send('/inference/big');
    expect(response.headers.get('x-epistula-unsigned')).toBe('too_large');
    expect(response.headers.get('epistula-response-signature')).toBeNull();
    expect(await response.text()).toBe(bigAnswer);
  });

  it('refuses a body changed after signing with 401, the check done on a worker thread', async () => {
    const request = signEpistulaRequest(alice, '{"a":1}', { signedFor: miner.address });
    const response = await fetch(`${proxyUrl}/inference/json`, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json' },
      body: '{"a":2}',
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'epistula_bad_signature' } });
    expect(response.headers.get('epistula-response-signature')).toBeNull();
    const workers = handle.app.get<symbol, { pool: SignatureWorkerPool | undefined }>(SIGNATURE_WORKERS);
    expect(workers.pool?.threads).toBe(1);
  });

  it('answers 502 when the upstream breaks off an answer it was to sign', async () => {
    const { response } = await send('/inference/broken');
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: { code: 'upstream_unavailable', message: 'the upstream broke off its answer' },
    });
  });
});
