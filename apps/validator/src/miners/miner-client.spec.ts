import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadHotkey } from '@vstack/chain';
import type { SelectedMiner } from '@vstack/contracts';
import {
  allowAnySigner,
  type EpistulaSigner,
  MemoryReplayCache,
  signEpistulaResponse,
  sr25519SignerFromPair,
  verifyEpistulaRequest,
} from '@vstack/epistula';
import { type AnyTaskType, arithmeticTaskType, textGenerationTaskType } from '@vstack/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MinerCall } from '../ports';
import { axonOrigin, MinerClient } from './miner-client';

type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void | Promise<void>;

const quickArithmetic: AnyTaskType = { ...(arithmeticTaskType as AnyTaskType), timeoutMs: 300 };

describe('MinerClient against a real HTTP server', () => {
  let validator: EpistulaSigner;
  let miner: EpistulaSigner;
  let stranger: EpistulaSigner;
  let server: Server;
  let port: number;
  let handler: Handler;
  let connections = 0;
  let client: MinerClient;

  beforeAll(async () => {
    const signerOf = async (uri: string) => sr25519SignerFromPair(await loadHotkey({ kind: 'uri', uri }));
    [validator, miner, stranger] = await Promise.all([
      signerOf('//Alice'),
      signerOf('//Dave'),
      signerOf('//Eve'),
    ]);
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void Promise.resolve(handler(request, Buffer.concat(chunks), response)).catch((error: unknown) => {
          response.statusCode = 500;
          response.end(String(error));
        });
      });
    });
    server.on('connection', () => {
      connections += 1;
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    client = new MinerClient({ signer: validator, connections: 4, maxResponseBytes: 10_000 });
  });

  afterEach(() => {
    connections = 0;
  });

  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    server.close();
  });

  function minerAt(atPort = port): SelectedMiner {
    return { uid: 3, hotkey: miner.address, axon: { ip: '127.0.0.1', port: atPort, protocol: 4 } };
  }

  function call(overrides: Partial<MinerCall> = {}): MinerCall {
    return {
      miner: minerAt(),
      taskType: arithmeticTaskType,
      request: { operation: 'add', a: '2', b: '2' },
      stream: false,
      signal: new AbortController().signal,
      ...overrides,
    };
  }

  function json(
    response: ServerResponse,
    status: number,
    value: unknown,
    headers: Record<string, string> = {},
  ) {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(value));
  }

  it("posts the request to /tasks/{type}, signed for the miner's hotkey, and reads the valid answer", async () => {
    const seen: { path?: string; signedBy?: string; body?: unknown } = {};
    handler = async (request, body, response) => {
      const verified = await verifyEpistulaRequest(request.headers, body, {
        hotkey: miner.address,
        signerPolicy: allowAnySigner,
        replayCache: new MemoryReplayCache(),
      });
      Object.assign(seen, {
        path: request.url,
        signedBy: verified.signedBy,
        body: JSON.parse(body.toString()),
      });
      json(response, 200, { result: '4' });
    };
    const result = await client.call(call());
    expect(result).toMatchObject({
      outcome: 'ok',
      response: { result: '4' },
      streamed: false,
      signed: false,
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual({
      path: '/tasks/arithmetic',
      signedBy: validator.address,
      body: { operation: 'add', a: '2', b: '2' },
    });
  });

  it('keeps the connection to a miner alive between calls', async () => {
    handler = (_request, _body, response) => {
      json(response, 200, { result: '4' });
    };
    for (let i = 0; i < 3; i += 1) expect((await client.call(call())).outcome).toBe('ok');
    expect(connections).toBeLessThanOrEqual(1);
  });

  it('accepts an answer the miner signed, and refuses one signed by another hotkey', async () => {
    let signer = miner;
    handler = (request, _body, response) => {
      const body = JSON.stringify({ result: '4' });
      const uuid = String(request.headers['epistula-uuid']);
      const signedBy = String(request.headers['epistula-signed-by']);
      json(
        response,
        200,
        { result: '4' },
        signEpistulaResponse(signer, body, { request: { uuid, signedBy } }),
      );
    };
    expect(await client.call(call())).toMatchObject({ outcome: 'ok', signed: true });
    signer = stranger;
    const refused = await client.call(call());
    expect(refused).toMatchObject({ outcome: 'bad_signature' });
    expect(refused.outcome !== 'ok' && refused.error).toMatch(/^response signature refused: /);
  });

  it('tells an answer that is not JSON from one that does not match the schema, keeping the latter', async () => {
    handler = (_request, _body, response) => {
      response.end('forty-two');
    };
    expect(await client.call(call())).toMatchObject({
      outcome: 'invalid',
      error: 'the answer is not JSON',
      body: null,
    });
    handler = (_request, _body, response) => {
      json(response, 200, { answer: 4 });
    };
    const invalid = await client.call(call());
    expect(invalid).toMatchObject({ outcome: 'invalid', body: { answer: 4 } });
    expect(invalid.outcome !== 'ok' && invalid.error).toMatch(/does not match the response schema: result/);
  });

  it('refuses an answer larger than the limit', async () => {
    handler = (_request, _body, response) => {
      json(response, 200, { result: '9'.repeat(20_000) });
    };
    expect(await client.call(call())).toMatchObject({
      outcome: 'invalid',
      error: 'the answer is longer than 10000 bytes',
    });
  });

  it("reports an HTTP error with the miner proxy's error code", async () => {
    handler = (_request, _body, response) => {
      json(response, 429, { error: { code: 'rate_limited', message: 'too many requests' } });
    };
    expect(await client.call(call())).toMatchObject({
      outcome: 'http_error',
      error: 'HTTP 429 rate_limited: too many requests',
    });
  });

  it("times out after the task type's timeout", async () => {
    handler = () => undefined; // never answers
    const result = await client.call(call({ taskType: quickArithmetic }));
    expect(result).toMatchObject({ outcome: 'timeout', error: 'no answer within 300 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it('is cancelled when its signal aborts, and tells that apart from a timeout', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 50);
    expect(await client.call(call({ signal: controller.signal }))).toMatchObject({ outcome: 'cancelled' });
  });

  it('reports a miner nobody listens for as unreachable, and one without an axon without trying', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    const result = await client.call(call({ miner: minerAt(closedPort) }));
    expect(result).toMatchObject({
      outcome: 'unreachable',
      error: expect.stringContaining('ECONNREFUSED') as string,
    });
    expect(axonOrigin({ ip: '0.0.0.0', port: 8091, protocol: 4 })).toBeUndefined();
    expect(axonOrigin({ ip: '::1', port: 8091, protocol: 4 })).toBe('http://[::1]:8091');
    expect(
      await client.call(call({ miner: { ...minerAt(), axon: { ip: '0.0.0.0', port: 0, protocol: 4 } } })),
    ).toEqual({
      outcome: 'unreachable',
      latencyMs: 0,
      error: 'the miner announces no axon',
      body: null,
    });
  });

  describe('streamed chat completions', () => {
    const request = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const pieces = [
      { id: 'c-1', model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] },
      { choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }] },
    ];
    /** Serves `text` as an event stream in one piece and calls for a stream, keeping the chunks relayed. */
    const callWithStream = async (text: string) => {
      handler = (_request, _body, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(text);
      };
      const chunks: string[] = [];
      const result = await client.call(
        call({
          taskType: textGenerationTaskType,
          request,
          stream: true,
          onChunk: (data) => chunks.push(data),
        }),
      );
      return { result, chunks };
    };

    it('asks for a stream, relays each chunk as it comes and puts the answer together', async () => {
      let asked: unknown;
      handler = async (_request, body, response) => {
        asked = JSON.parse(body.toString());
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of pieces) {
          response.write(`data: ${JSON.stringify(piece)}\n\n`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        response.end('data: [DONE]\n\n');
      };
      const chunks: string[] = [];
      const result = await client.call(
        call({
          taskType: textGenerationTaskType,
          request,
          stream: true,
          onChunk: (data) => chunks.push(data),
        }),
      );
      expect(asked).toEqual({ ...request, stream: true });
      expect(chunks).toEqual(pieces.map((piece) => JSON.stringify(piece)));
      expect(result).toMatchObject({
        outcome: 'ok',
        streamed: true,
        response: {
          id: 'c-1',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
        },
      });
    });

    it('reads a whole JSON answer to a stream request like any other', async () => {
      const completion = { choices: [{ message: { role: 'assistant', content: 'Hello' } }] };
      handler = (_request, _body, response) => {
        json(response, 200, completion);
      };
      const result = await client.call(call({ taskType: textGenerationTaskType, request, stream: true }));
      expect(result).toMatchObject({ outcome: 'ok', streamed: false, response: completion });
    });

    it('refuses a stream that ends without [DONE], after relaying what came', async () => {
      const { result, chunks } = await callWithStream(`data: ${JSON.stringify(pieces[0])}\n\n`);
      expect(result).toMatchObject({ outcome: 'invalid', error: 'the stream ended before [DONE]' });
      expect(chunks).toEqual([JSON.stringify(pieces[0])]);
    });

    it('refuses a stream with a chunk that is not JSON', async () => {
      const { result, chunks } = await callWithStream(
        'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: oops\n\n',
      );
      expect(result).toMatchObject({ outcome: 'invalid', error: 'stream chunk 1 is not JSON' });
      expect(chunks).toHaveLength(1);
    });
  });
});
