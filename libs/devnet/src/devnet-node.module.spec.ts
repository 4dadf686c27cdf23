import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamicModule, Module } from '@nestjs/common';
import { devnetConfigSchema, parseConfig } from '@vstack/config';
import { createLogger } from '@vstack/observability';
import { createServiceApp, type ServiceHandle } from '@vstack/runtime';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetNodeModule } from './devnet-node.module';
import { DevnetErrorCode, isDevnetError } from './errors';
import { connectApi, subtensorClient } from './testing/client';

const logger = createLogger({ service: 'devnet', level: 'silent', format: 'json' });

async function startService(
  env: Record<string, string> = {},
): Promise<{ handle: ServiceHandle; port: number }> {
  const config = parseConfig('devnet', devnetConfigSchema, { PORT: '1', ...env });
  @Module({})
  class TestDevnetModule {
    static forRoot(): DynamicModule {
      return {
        module: TestDevnetModule,
        imports: [
          DevnetNodeModule.forRoot({
            blockTimeMs: config.DEVNET_BLOCK_TIME_MS,
            scenarioPath: config.DEVNET_SCENARIO,
            logger,
          }),
        ],
      };
    }
  }
  const handle = await createServiceApp(
    { service: 'devnet', schema: devnetConfigSchema, module: () => TestDevnetModule.forRoot() },
    config,
    logger,
  );
  await handle.app.listen(0, '127.0.0.1');
  const { port } = (handle.app.getHttpServer() as Server).address() as AddressInfo;
  return { handle, port };
}

/** Sends one text frame and waits for one answer. */
function exchange(socket: WebSocket, text: string): Promise<unknown> {
  return new Promise((resolvePromise) => {
    socket.once('message', (data: Buffer) => {
      resolvePromise(JSON.parse(data.toString()));
    });
    socket.send(text);
  });
}

describe('the devnet inside a Nest service', () => {
  let service: { handle: ServiceHandle; port: number };
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'vstack-devnet-'));
    const scenario = join(folder, 'scenario.json');
    writeFileSync(
      scenario,
      JSON.stringify({ subnets: [{ netuid: 9, tempo: 12, neurons: [{ hotkey: '//Alice' }] }] }),
    );
    service = await startService({ DEVNET_SCENARIO: scenario });
  });

  afterAll(async () => {
    await service.handle.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves JSON-RPC over WebSocket on the service’s own port, next to /health', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${service.port}`);
    await new Promise((resolvePromise) => socket.once('open', resolvePromise));
    expect(await exchange(socket, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_name' }))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: 'vstack-devnet',
    });
    expect(await exchange(socket, '{not json')).toMatchObject({ id: null, error: { code: -32700 } });
    expect(await exchange(socket, JSON.stringify({ id: 2, method: 'system_name' }))).toMatchObject({
      error: { code: -32600 },
    });
    socket.close();
    const ready = await fetch(`http://127.0.0.1:${service.port}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { devnet: { ok: true } } });
  });

  it('answers JSON-RPC over HTTP POST /', async () => {
    const response = await fetch(`http://127.0.0.1:${service.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'dev_head', params: [] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 7, result: { number: 0 } });
  });

  it('starts from the scenario file (DEVNET_SCENARIO) and talks to polkadot.js', async () => {
    const api = await connectApi(`ws://127.0.0.1:${service.port}`);
    try {
      const client = subtensorClient(api);
      expect((await client.query.subtensorModule.tempo(9)).toJSON()).toBe(12);
      expect((await client.query.subtensorModule.subnetworkN(1)).toJSON()).toBe(0);
    } finally {
      await api.disconnect();
    }
  });

  it('refuses to start on a scenario file that is not valid, naming the problem', async () => {
    const broken = join(folder, 'broken.json');
    writeFileSync(broken, JSON.stringify({ subnets: [{ netuid: 0 }] }));
    const error = await startService({ DEVNET_SCENARIO: broken }).catch((caught: unknown) => caught);
    expect(isDevnetError(error, DevnetErrorCode.InvalidScenario)).toBe(true);
    expect(String(error)).toContain('netuid 0 is the root network');
    const missing = await startService({ DEVNET_SCENARIO: join(folder, 'nope.json') }).catch(
      (caught: unknown) => caught,
    );
    expect(String(missing)).toContain('cannot read the scenario file');
  });
});
