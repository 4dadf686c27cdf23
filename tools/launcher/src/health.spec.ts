import { createServer, type Server } from 'node:http';
import { freePort } from '@vstack/local-infra';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilReady } from './health';

describe('waitUntilReady', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const open = server;
    server = undefined;
    if (open) await new Promise((done) => open.close(done));
  });

  it('waits until /health/ready answers 200', async () => {
    let calls = 0;
    server = createServer((_request, response) => {
      calls += 1;
      response.writeHead(calls < 3 ? 503 : 200).end();
    });
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await waitUntilReady(`http://127.0.0.1:${port}/health/ready`, { timeoutMs: 5_000, intervalMs: 10 });
    expect(calls).toBe(3);
  });

  it('says what the last attempt got when it times out', async () => {
    server = createServer((_request, response) => response.writeHead(503).end());
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await expect(
      waitUntilReady(`http://127.0.0.1:${port}/health/ready`, { timeoutMs: 100, intervalMs: 10 }),
    ).rejects.toThrow(`not ready after 0 s (GET http://127.0.0.1:${port}/health/ready: answered 503)`);
  });

  it('names a refused connection', async () => {
    const port = await freePort();
    await expect(
      waitUntilReady(`http://127.0.0.1:${port}/health/ready`, { timeoutMs: 100, intervalMs: 10 }),
    ).rejects.toThrow(/connection refused/);
  });
});
