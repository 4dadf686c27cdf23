import { connect, type Socket } from 'node:net';
import { sendHostile, sendRawBytes } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGatewayProcess } from './support/gateway-process';
import { ADMIN_TOKEN, call } from './support/harness';

// The HTTP limits of the built gateway (libs/runtime, HTTP_* variables), against clients that send too much,
// too slowly or too many connections. The limits are set low so each shows within seconds.
const HEADERS_TIMEOUT_MS = 2_000;
const REQUEST_TIMEOUT_MS = 4_000;
const MAX_CONNECTIONS = 120;
const BODY_LIMIT_BYTES = 65_536;
const MAX_HEADER_BYTES = 8_192;

interface SlowClient {
  socket: Socket;
  closed: boolean;
  received: string;
  timer: NodeJS.Timeout;
}

/** A client that sends `start` at once, then one byte of `drip` every `everyMs`, never finishing. */
function slowClient(port: number, start: string, drip: string, everyMs: number): SlowClient {
  const socket = connect(port, '127.0.0.1');
  const client: SlowClient = { socket, closed: false, received: '', timer: setInterval(() => undefined, 1) };
  clearInterval(client.timer);
  let at = 0;
  socket.on('connect', () => {
    socket.write(start);
    client.timer = setInterval(() => {
      if (socket.destroyed || socket.writableEnded) return;
      socket.write(drip[at % drip.length] ?? 'x');
      at += 1;
    }, everyMs);
  });
  socket.on('data', (chunk: Buffer) => {
    client.received += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    client.closed = true;
    clearInterval(client.timer);
  });
  return client;
}

function closeAll(clients: SlowClient[]): void {
  for (const client of clients) {
    clearInterval(client.timer);
    client.socket.destroy();
  }
}

/** The JSON error of a raw HTTP answer written by the server on a slow client's socket. */
function rawError(text: string): { status: number; code: string | undefined } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  try {
    return { status, code: (JSON.parse(body) as { error?: { code?: string } }).error?.code };
  } catch {
    return { status, code: undefined };
  }
}

describe('HTTP limits of the gateway process', () => {
  let gateway: GatewayProcess;
  let secret: string;

  beforeAll(async () => {
    gateway = await startGatewayProcess('gateway_limits', {
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
      HTTP_MAX_HEADER_BYTES: String(MAX_HEADER_BYTES),
    });
    const created = await call(gateway.url, 'POST', '/v1/admin/keys', {
      token: ADMIN_TOKEN,
      json: { name: 'limits', scopes: ['arithmetic'], credits: 10, rate_limit_per_minute: 100_000 },
    });
    expect(created.status).toBe(201);
    secret = created.body.secret;
  }, 60_000);

  afterAll(async () => {
    await gateway.stop();
  });

  it('keeps serving while slow clients trickle their headers, and closes theirs at the headers timeout', async () => {
    const loris = Array.from({ length: 60 }, () =>
      slowClient(gateway.port, 'GET /v1/account HTTP/1.1\r\nHost: x\r\n', 'X-Slow: yyyyyyyyyyyy\r\n', 150),
    );
    try {
      await expect.poll(() => loris.every((client) => client.socket.readyState === 'open')).toBe(true);
      for (let i = 0; i < 10; i += 1) {
        const answer = await call(gateway.url, 'GET', '/v1/account', { token: secret });
        expect(answer.status).toBe(200);
      }
      // Nothing but the server ends these connections: every one is closed, with a 408 JSON refusal.
      await expect.poll(() => loris.filter((client) => !client.closed).length, { timeout: 20_000 }).toBe(0);
      for (const client of loris) {
        expect(rawError(client.received)).toEqual({ status: 408, code: 'request_timeout' });
      }
    } finally {
      closeAll(loris);
    }
    expect((await call(gateway.url, 'GET', '/health/live')).status).toBe(200);
  }, 60_000);

  it('closes a client that sends its headers but trickles its body, at the request timeout', async () => {
    const head =
      `POST /v1/quotes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n';
    const slow = Array.from({ length: 10 }, () => slowClient(gateway.port, head, '{"task_type":', 200));
    try {
      expect((await call(gateway.url, 'GET', '/v1/account', { token: secret })).status).toBe(200);
      await expect.poll(() => slow.filter((client) => !client.closed).length, { timeout: 20_000 }).toBe(0);
      for (const client of slow) expect(rawError(client.received).status).toBe(408);
    } finally {
      closeAll(slow);
    }
  }, 60_000);

  it('refuses headers over HTTP_MAX_HEADER_BYTES with 431 and a JSON error', async () => {
    const answer = await sendHostile(gateway.port, {
      method: 'GET',
      path: '/v1/account',
      headers: { authorization: `Bearer ${secret}`, 'x-padding': 'p'.repeat(MAX_HEADER_BYTES + 1) },
    });
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.text)).toEqual({
      error: { code: 'headers_too_large', message: expect.any(String) },
    });
    const raw = await sendRawBytes(
      gateway.port,
      Buffer.from(`GET /${'a'.repeat(MAX_HEADER_BYTES * 2)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    expect(raw.status).toBe(431);
    expect((await call(gateway.url, 'GET', '/v1/account', { token: secret })).status).toBe(200);
  });

  it('refuses a body over HTTP_BODY_LIMIT_BYTES with 413 and a JSON error, and takes one just under it', async () => {
    const padding = (size: number) =>
      JSON.stringify({
        task_type: 'arithmetic',
        input: { operation: 'add', a: '1', b: '2', pad: 'x'.repeat(size) },
      });
    const over = await call(gateway.url, 'POST', '/v1/quotes', {
      token: secret,
      headers: { 'content-type': 'application/json' },
      body: padding(BODY_LIMIT_BYTES),
    });
    expect(over.status).toBe(413);
    expect(over.body.error).toEqual({ code: 'body_too_large', message: expect.any(String) });
    const under = await call(gateway.url, 'POST', '/v1/quotes', {
      token: secret,
      headers: { 'content-type': 'application/json' },
      body: padding(BODY_LIMIT_BYTES - 1_024),
    });
    expect(under.status).toBeLessThan(500);
    expect(under.status).not.toBe(413);
  });

  it('refuses connections past HTTP_MAX_CONNECTIONS without failing, and serves again once they close', async () => {
    const total = MAX_CONNECTIONS * 2;
    const sockets: Socket[] = [];
    let answered = 0;
    let refused = 0;
    try {
      for (let i = 0; i < total; i += 1) {
        const socket = connect(gateway.port, '127.0.0.1');
        let received = '';
        socket.on('connect', () => {
          socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
        });
        socket.on('data', (chunk: Buffer) => {
          if (received === '' && chunk.toString('latin1').startsWith('HTTP/1.1 200')) answered += 1;
          received += chunk.toString('latin1');
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (received === '') refused += 1;
        });
        sockets.push(socket);
      }
      // Each connection is either served (and kept alive) or closed at once without an answer.
      await expect.poll(() => answered + refused, { timeout: 20_000 }).toBe(total);
      expect(answered).toBeGreaterThan(0);
      expect(answered).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(refused).toBeGreaterThanOrEqual(total - MAX_CONNECTIONS);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    await expect
      .poll(async () => (await call(gateway.url, 'GET', '/v1/account', { token: secret })).status, {
        timeout: 15_000,
      })
      .toBe(200);
    expect((await call(gateway.url, 'GET', '/health/ready')).status).toBe(200);
  }, 60_000);
});
