import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { freePort, isPortFree, waitFor } from './net';

function listen(port: number): Promise<Server> {
  return new Promise((resolveServer, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolveServer(server);
    });
  });
}

describe('freePort and isPortFree', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const open = server;
    server = undefined;
    if (open) await new Promise((done) => open.close(done));
  });

  it('gives a port that can be bound, and sees it taken while something listens on it', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortFree(port)).toBe(true);
    server = await listen(port);
    expect(await isPortFree(port)).toBe(false);
  });
});

describe('waitFor', () => {
  it('resolves once the check passes, treating throws as not yet', async () => {
    let calls = 0;
    await waitFor(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('not listening');
        return calls >= 3;
      },
      { timeoutMs: 1_000, intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for and the last failure', async () => {
    const wait = waitFor(
      () => {
        throw new Error('connection refused');
      },
      { timeoutMs: 30, intervalMs: 5, description: 'the thing' },
    );
    await expect(wait).rejects.toThrow(/timed out after 30 ms waiting for the thing: connection refused/);
    await expect(wait).rejects.toSatisfy(
      (error: unknown) => error instanceof LocalInfraError && error.code === LocalInfraErrorCode.Timeout,
    );
  });

  it('stops early with the abort reason', async () => {
    const abort = new AbortController();
    const reason = new Error('child died');
    setTimeout(() => {
      abort.abort(reason);
    }, 20);
    await expect(
      waitFor(() => false, { timeoutMs: 5_000, intervalMs: 5, signal: abort.signal }),
    ).rejects.toBe(reason);
  });
});
