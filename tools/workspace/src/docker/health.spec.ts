import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@vstack/config';
import { afterEach, describe, expect, it } from 'vitest';
import { imageApp, isLive, livenessUrl } from './health';

let server: Server | undefined;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const started = createServer(handler);
  server = started;
  await new Promise<void>((resolve) => {
    started.listen(0, '127.0.0.1', resolve);
  });
  return (started.address() as AddressInfo).port;
}

function serve(status: number): Promise<number> {
  return listen((request, response) => {
    response.statusCode = request.url === '/health/live' ? status : 404;
    response.end();
  });
}

async function stop(): Promise<void> {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise<void>((resolve) => {
    running.close(() => {
      resolve();
    });
  });
}

afterEach(stop);

describe('imageApp', () => {
  it('names the app from VSTACK_APP', () => {
    expect(imageApp({ VSTACK_APP: 'miner-proxy' })).toBe('miner-proxy');
  });

  it('refuses an unknown or missing app', () => {
    expect(() => imageApp({ VSTACK_APP: 'web' })).toThrow('VSTACK_APP must name one of');
    expect(() => imageApp({})).toThrow('got nothing');
  });
});

describe('livenessUrl', () => {
  it("uses the app's default port and asks loopback when bound to every interface", () => {
    expect(livenessUrl('gateway', { HOST: '0.0.0.0' }).href).toBe('http://127.0.0.1:3000/health/live');
    expect(livenessUrl('devnet', { HOST: '::' }).href).toBe('http://127.0.0.1:9944/health/live');
  });

  it('follows PORT and a specific HOST', () => {
    expect(livenessUrl('sidecar', { HOST: '10.1.2.3', PORT: '4001' }).href).toBe(
      'http://10.1.2.3:4001/health/live',
    );
    expect(livenessUrl('sidecar', { HOST: '::1', PORT: '4001' }).href).toBe('http://[::1]:4001/health/live');
  });

  it('fails the way the app would on an invalid PORT', () => {
    expect(() => livenessUrl('scoring', { PORT: 'eighty' })).toThrow(ConfigError);
  });
});

describe('isLive', () => {
  it('is true when /health/live answers 2xx', async () => {
    const port = await serve(200);
    expect(await isLive(livenessUrl('gateway', { PORT: String(port) }), 2_000)).toBe(true);
  });

  it('is false when /health/live answers an error', async () => {
    const port = await serve(503);
    expect(await isLive(livenessUrl('gateway', { PORT: String(port) }), 2_000)).toBe(false);
  });

  it('is false when nothing listens', async () => {
    const port = await serve(200);
    await stop();
    expect(await isLive(livenessUrl('gateway', { PORT: String(port) }), 2_000)).toBe(false);
  });

  it('is false when the answer does not come within the timeout', async () => {
    const port = await listen(() => undefined);
    const started = Date.now();
    expect(await isLive(livenessUrl('gateway', { PORT: String(port) }), 200)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
