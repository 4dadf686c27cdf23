import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Controller, type DynamicModule, Inject, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { managingConfigSchema, parseConfig } from '@vstack/config';
import {
  createRpcClient,
  createRpcMicroserviceOptions,
  type Neuron,
  RpcHandler,
  RpcPayload,
  type RpcClient,
  RpcRemoteError,
  type RpcRequest,
  type RpcResponse,
  SelectionReasonCode,
} from '@vstack/contracts';
import { createLogger } from '@vstack/observability';
import { createServiceApp, type ServiceHandle } from '@vstack/runtime';
import { deleteRedisKeysWithPrefix, uniqueTestName } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { MinersOverview } from '../src/api/miners-overview';
import { ManagingModule } from '../src/managing.module';
import { hotkeys, minerHotkey, neuron, validator } from './fixtures';

// managing as the service runs it (HTTP and RPC on the real Redis transport), with a fake sidecar answering
// chain.neurons on the same transport and one miner serving a real GET /status.
const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('managing-app');
const METRICS_TOKEN = 'managing-test-metrics-token';

/** The metagraph the fake sidecar answers with. */
class SidecarState {
  block = 500;
  neurons: Neuron[] = [];
  asked = 0;
}

const SIDECAR_STATE = Symbol('sidecar-state');

@Controller()
class FakeSidecarController {
  constructor(@Inject(SIDECAR_STATE) private readonly state: SidecarState) {}

  @RpcHandler('chain.neurons')
  neurons(@RpcPayload('chain.neurons') request: RpcRequest<'chain.neurons'>): RpcResponse<'chain.neurons'> {
    this.state.asked += 1;
    return { netuid: request.netuid, block: this.state.block, neurons: this.state.neurons };
  }
}

@Module({})
class FakeSidecarModule {
  static forState(state: SidecarState): DynamicModule {
    return {
      module: FakeSidecarModule,
      controllers: [FakeSidecarController],
      providers: [{ provide: SIDECAR_STATE, useValue: state }],
    };
  }
}

async function startFakeSidecar(state: SidecarState): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(FakeSidecarModule.forState(state), {
    ...createRpcMicroserviceOptions(redisUrl, prefix, { connectionName: `${prefix}-fake-sidecar` }),
    logger: false,
  });
  await app.listen();
  return app;
}

describe('the managing service', () => {
  const sidecar = new SidecarState();
  let fakeSidecar: INestMicroservice | undefined;
  let statusServer: Server;
  let handle: ServiceHandle;
  let baseUrl: string;
  let client: RpcClient;
  let declaredMiner: Neuron;

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${baseUrl}${path}`);
    return { status: response.status, body: await response.json().catch(() => undefined) };
  };
  const overview = async () => (await get('/miners')).body as MinersOverview;

  beforeAll(async () => {
    statusServer = createServer((request, response) => {
      response
        .writeHead(request.url === '/status' ? 200 : 404, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ service: 'miner-proxy', capacity: 600, taskTypes: ['arithmetic', 'embedding'] }),
        );
    });
    await new Promise<void>((resolve) => statusServer.listen(0, '127.0.0.1', resolve));
    const statusPort = (statusServer.address() as AddressInfo).port;
    declaredMiner = neuron(3, minerHotkey(3), { axon: { ip: '127.0.0.1', port: statusPort, protocol: 4 } });
    sidecar.neurons = [
      validator(0, hotkeys.alice, 750_000n),
      validator(1, hotkeys.bob, 250_000n),
      declaredMiner,
      // Nothing listens on these miners' axons: default capacity and task types.
      neuron(4, minerHotkey(4), { axon: { ip: '127.0.0.1', port: 1, protocol: 4 } }),
      neuron(5, minerHotkey(5), { axon: { ip: '127.0.0.1', port: 1, protocol: 4 } }),
    ];

    const config = parseConfig('managing', managingConfigSchema, {
      PORT: '1',
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      METRICS_TOKEN,
      VALIDATOR_HOTKEY_ADDRESS: hotkeys.alice,
      MANAGING_CIRCUIT_FAILURES: '2',
      MANAGING_MINER_STATUS_TIMEOUT_MS: '500',
    });
    const stream = new PassThrough();
    stream.resume();
    const logger = createLogger({ service: 'managing', level: 'info', format: 'json', destination: stream });
    handle = await createServiceApp(
      {
        service: 'managing',
        schema: managingConfigSchema,
        module: () => ManagingModule.forRoot(config, logger),
        usesRedis: true,
        rpc: true,
      },
      config,
      logger,
    );
    await handle.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${((handle.app.getHttpServer() as Server).address() as AddressInfo).port}`;
    client = createRpcClient({ redisUrl, prefix, timeoutMs: 3_000 });
  });

  afterAll(async () => {
    await client.close();
    await handle.close();
    await fakeSidecar?.close();
    statusServer.closeAllConnections();
    await new Promise((resolve) => statusServer.close(resolve));
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
  });

  it('starts while the sidecar is away: not ready, and says so to callers', async () => {
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toContain('not read from the sidecar yet');
    expect(
      await client.send('miners.select', { taskType: 'arithmetic', count: 1, purpose: 'organic' }),
    ).toEqual({
      miners: [],
      reasonCode: SelectionReasonCode.NoMetagraph,
      reason: 'the metagraph has not been read from the sidecar yet',
    });
    expect(await get('/miners')).toEqual({
      status: 503,
      body: {
        error: {
          code: 'metagraph_unavailable',
          message: 'the metagraph has not been read from the sidecar yet',
        },
      },
    });
  });

  it('becomes ready once the sidecar answers, retrying by itself', async () => {
    fakeSidecar = await startFakeSidecar(sidecar);
    await vi.waitFor(
      async () => {
        expect((await get('/health/ready')).status).toBe(200);
      },
      { timeout: 15_000, interval: 200 },
    );
    const miners = await overview();
    expect(miners.block).toBe(500);
    expect(miners.validator).toMatchObject({ hotkey: hotkeys.alice, uid: 0, eligible: true, share: 0.75 });
    expect(miners.miners.map((miner) => miner.uid)).toEqual([3, 4, 5]);
  }, 20_000);

  it("reads a miner's declared capacity and task types from its GET /status", async () => {
    await vi.waitFor(async () => {
      const miner = (await overview()).miners.find((entry) => entry.uid === 3);
      expect(miner?.capacity).toEqual({ value: 600, declared: true });
    });
    const miners = (await overview()).miners;
    // 600 × 0.75 = 450 on the declaring miner; the default 256 × 0.75 = 192 on the others.
    expect(miners.map((miner) => miner.quota.limit)).toEqual([450, 192, 192]);
    expect(miners[0]?.taskTypes).toEqual({ names: ['arithmetic', 'embedding'], declared: true });
    expect(miners[1]?.taskTypes.declared).toBe(false);
    expect(miners[1]?.status.error).not.toBeNull();
    const embedding = await client.send('miners.select', {
      taskType: 'embedding',
      count: 2,
      purpose: 'synthetic',
    });
    expect(embedding.miners.map((miner) => miner.uid)).toEqual([3]);
    expect(embedding.reasonCode).toBe(SelectionReasonCode.TaskTypeNotServed);
  });

  it('answers miners.select with distinct miners and their axons, and counts the quota used', async () => {
    const before = await overview();
    const answer = await client.send('miners.select', {
      taskType: 'arithmetic',
      count: 3,
      purpose: 'organic',
    });
    expect(answer.reasonCode).toBeUndefined();
    expect(answer.miners.map((miner) => miner.uid).sort()).toEqual([3, 4, 5]);
    expect(answer.miners.find((miner) => miner.uid === 3)).toEqual({
      uid: 3,
      hotkey: declaredMiner.hotkey,
      axon: declaredMiner.axon,
    });
    const after = await overview();
    for (const [i, miner] of after.miners.entries()) {
      expect(miner.quota.used).toBe((before.miners[i]?.quota.used ?? 0) + 1);
      expect(miner.quota.left).toBe(miner.quota.limit - miner.quota.used);
    }
  });

  it('opens the circuit of a miner the validator reports failing, and skips it', async () => {
    const failing = { uid: 4, hotkey: minerHotkey(4), ok: false, latencyMs: 5_000 };
    expect(await client.send('miners.report', failing)).toEqual({ accepted: true });
    expect(await client.send('miners.report', failing)).toEqual({ accepted: true });
    expect(
      await client.send('miners.report', { uid: 5, hotkey: minerHotkey(5), ok: true, latencyMs: 120 }),
    ).toEqual({ accepted: true });
    const miners = (await overview()).miners;
    expect(miners[1]?.health).toMatchObject({ circuit: 'open', consecutiveFailures: 2, failures: 2 });
    expect(miners[2]?.health).toMatchObject({ circuit: 'closed', successes: 1, latencyMs: 120 });
    for (let i = 0; i < 5; i++) {
      const answer = await client.send('miners.select', {
        taskType: 'arithmetic',
        count: 3,
        purpose: 'organic',
      });
      expect(answer.miners.map((miner) => miner.uid)).not.toContain(4);
      expect(answer.reasonCode).toBe(SelectionReasonCode.MinersUnhealthy);
    }
  });

  it('refuses an invalid request at once with the contract error', async () => {
    const error = await client
      .send('miners.select', { taskType: 'arithmetic', count: 0, purpose: 'batch' } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcRemoteError);
    expect(error).toMatchObject({ remoteCode: 'RPC_INVALID_PAYLOAD' });
  });

  it('follows chain.metagraph.changed: a uid that changes hotkey is a new miner', async () => {
    const asked = sidecar.asked;
    sidecar.block = 501;
    sidecar.neurons = sidecar.neurons.map((entry) =>
      entry.uid === 4 ? neuron(4, minerHotkey(4, 1), { axon: entry.axon }) : entry,
    );
    await client.emit('chain.metagraph.changed', { netuid: 1, block: 501 });
    await vi.waitFor(async () => {
      expect((await overview()).block).toBe(501);
    });
    expect(sidecar.asked).toBeGreaterThan(asked);
    const replaced = (await overview()).miners[1];
    expect(replaced).toMatchObject({ uid: 4, hotkey: minerHotkey(4, 1) });
    expect(replaced?.health).toMatchObject({ circuit: 'closed', failures: 0 });
    expect(replaced?.quota.used).toBe(0);
    // A report about the uid's previous hotkey no longer touches it.
    await client.send('miners.report', { uid: 4, hotkey: minerHotkey(4), ok: false, latencyMs: 1 });
    expect((await overview()).miners[1]?.health.failures).toBe(0);
    // Another subnet's change is not ours.
    const before = sidecar.asked;
    await client.emit('chain.metagraph.changed', { netuid: 2, block: 900 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sidecar.asked).toBe(before);
  });

  it('exports selections by outcome, reports, and per-miner quota and circuit gauges', async () => {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const text = await response.text();
    expect(text).toMatch(
      /vstack_managing_selections_total\{purpose="organic",outcome="full",reason="none"\} 1/,
    );
    expect(text).toMatch(
      /vstack_managing_selections_total\{purpose="organic",outcome="partial",reason="miners_unhealthy"\} 5/,
    );
    expect(text).toMatch(
      /vstack_managing_selections_total\{purpose="organic",outcome="empty",reason="no_metagraph"\} 1/,
    );
    expect(text).toMatch(/vstack_managing_reports_total\{outcome="failed"\} 2/);
    expect(text).toMatch(/vstack_managing_reports_total\{outcome="unknown_miner"\} 1/);
    expect(text).toContain(
      `vstack_managing_miner_quota{uid="3",hotkey="${minerHotkey(3)}",kind="limit"} 450`,
    );
    expect(text).toContain(`vstack_managing_miner_circuit_state{uid="4",hotkey="${minerHotkey(4, 1)}"} 0`);
    expect(text).not.toContain(`hotkey="${minerHotkey(4)}"`);
    expect(text).toMatch(/vstack_managing_metagraph_block 501/);
  });
});
