import {
  Controller,
  type DynamicModule,
  Inject,
  type INestApplicationContext,
  type INestMicroservice,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { currentCorrelationId, withCorrelationId } from '@vstack/observability';
import { uniqueTestName } from '@vstack/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, expectTypeOf, inject, it, vi } from 'vitest';
import { ContractsModule } from './contracts.module';
import {
  ContractError,
  ContractErrorCode,
  RpcErrorCode,
  rpcError,
  RpcRemoteError,
  RpcTimeoutError,
} from './errors';
import { EventHandler, RpcHandler, RpcPayload } from './handlers';
import type { EventPayload, RpcRequest, RpcResponse } from './registry';
import { createRpcClient, RpcClient } from './rpc-client';
import { createRpcMicroserviceOptions } from './transport';

const redisUrl = inject('redisUrl');
const prefix = uniqueTestName('contracts-rpc');
const prefixA = `${prefix}_a`;
const prefixB = `${prefix}_b`;
const nobodyPrefix = `${prefix}_nobody`;

const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const blockHash = `0x${'ab'.repeat(32)}`;
const axon = { ip: '10.0.0.7', port: 8091, protocol: 4 };

/** What one test stack's handlers answer with and what they heard. */
class StackState {
  readonly blocks: EventPayload<'chain.block.new'>[] = [];
  constructor(readonly label: string) {}
}

const STACK = Symbol('stack');

@Controller()
class StackHandlers {
  constructor(@Inject(STACK) private readonly stack: StackState) {}

  @RpcHandler('miners.select')
  select(@RpcPayload('miners.select') request: RpcRequest<'miners.select'>): RpcResponse<'miners.select'> {
    switch (request.taskType) {
      case 'no-miners':
        throw rpcError('NO_MINERS', `no miner has quota for ${request.taskType}`, {
          purpose: request.purpose,
        });
      case 'crash':
        throw new Error('connection to 10.1.2.3 refused');
      case 'whoami':
        return { miners: [], reason: currentCorrelationId() ?? 'none' };
      case 'garbled':
        return { miners: [{ uid: -1, hotkey, axon }] };
      default:
        return {
          miners: Array.from({ length: request.count }, (_, uid) => ({ uid, hotkey, axon })),
          reason: this.stack.label,
        };
    }
  }

  @RpcHandler('scores.weights')
  async weights(
    @RpcPayload('scores.weights') request: RpcRequest<'scores.weights'>,
  ): Promise<RpcResponse<'scores.weights'>> {
    await Promise.resolve();
    return { weights: { [hotkey]: this.stack.label === 'a' ? 1 : 0.5 }, epoch: request.netuid };
  }

  @EventHandler('chain.block.new')
  onBlock(@RpcPayload('chain.block.new') event: EventPayload<'chain.block.new'>): void {
    this.stack.blocks.push(event);
  }
}

@Module({})
class StackModule {
  static forStack(state: StackState): DynamicModule {
    return {
      module: StackModule,
      controllers: [StackHandlers],
      providers: [{ provide: STACK, useValue: state }],
    };
  }
}

async function startStack(state: StackState, stackPrefix: string): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(StackModule.forStack(state), {
    ...createRpcMicroserviceOptions(redisUrl, stackPrefix, { connectionName: `${stackPrefix}-server` }),
    logger: false,
  });
  await app.listen();
  return app;
}

describe('RPC over Redis', () => {
  const stackA = new StackState('a');
  const stackB = new StackState('b');
  let serverA: INestMicroservice;
  let serverB: INestMicroservice;
  let context: INestApplicationContext;
  let clientA: RpcClient;
  let clientB: RpcClient;
  let nobody: RpcClient;

  beforeAll(async () => {
    serverA = await startStack(stackA, prefixA);
    serverB = await startStack(stackB, prefixB);
    context = await NestFactory.createApplicationContext(
      ContractsModule.forClient({ redisUrl, prefix: prefixA, timeoutMs: 1_000 }),
      { logger: false },
    );
    clientA = context.get(RpcClient);
    clientB = createRpcClient({ redisUrl, prefix: prefixB, timeoutMs: 1_000 });
    nobody = createRpcClient({ redisUrl, prefix: nobodyPrefix, timeoutMs: 300 });
  });

  afterAll(async () => {
    await context.close();
    await clientB.close();
    await nobody.close();
    await serverA.close();
    await serverB.close();
  });

  it('answers a request with the typed, validated response', async () => {
    const answer = await clientA.send('miners.select', {
      taskType: 'text-generation',
      count: 2,
      purpose: 'organic',
    });
    expectTypeOf(answer).toEqualTypeOf<RpcResponse<'miners.select'>>();
    expect(answer).toEqual({
      miners: [
        { uid: 0, hotkey, axon },
        { uid: 1, hotkey, axon },
      ],
      reason: 'a',
    });
  });

  it("runs the handler under the caller's correlation id, or a fresh one", async () => {
    const request = { taskType: 'whoami', count: 1, purpose: 'organic' } as const;
    const traced = await withCorrelationId('corr-7f3a', () => clientA.send('miners.select', request));
    expect(traced.reason).toBe('corr-7f3a');
    const untraced = await clientA.send('miners.select', request);
    expect(untraced.reason).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('times out naming the service and the pattern when nobody answers', async () => {
    const started = performance.now();
    const error = await nobody
      .send('miners.select', { taskType: 'text', count: 1, purpose: 'synthetic' })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect(String(error)).toBe('RpcTimeoutError: managing did not answer miners.select within 300 ms');
    expect(error).toMatchObject({
      code: ContractErrorCode.Timeout,
      service: 'managing',
      pattern: 'miners.select',
    });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('takes a per-call timeout over the client default', async () => {
    const started = performance.now();
    await expect(nobody.send('scores.weights', { netuid: 7 }, { timeoutMs: 100 })).rejects.toThrow(
      'scoring did not answer scores.weights within 100 ms',
    );
    expect(performance.now() - started).toBeLessThan(290);
  });

  it('refuses an invalid payload at once with a typed error, not a timeout', async () => {
    const started = performance.now();
    const error = await clientA
      .send('miners.select', { taskType: '', count: 0, purpose: 'batch' } as never)
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(RpcRemoteError);
    const remote = error as RpcRemoteError;
    expect(remote.code).toBe(ContractErrorCode.Remote);
    expect(remote.remoteCode).toBe(RpcErrorCode.InvalidPayload);
    expect(remote.remoteMessage).toContain('invalid payload for miners.select');
    expect(remote.remoteMessage).toContain('count:');
    expect(remote.remoteMessage).toContain('purpose:');
    expect(remote.details).toMatchObject({
      issues: expect.arrayContaining([expect.objectContaining({ path: ['count'] })]),
    });
  });

  it('maps a remote exception to RpcRemoteError with its code and message', async () => {
    const error = await clientA
      .send('miners.select', { taskType: 'no-miners', count: 1, purpose: 'synthetic' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcRemoteError);
    expect(error).toMatchObject({
      service: 'managing',
      pattern: 'miners.select',
      remoteCode: 'NO_MINERS',
      remoteMessage: 'no miner has quota for no-miners',
      details: { purpose: 'synthetic' },
    });
    expect((error as Error).message).toBe(
      'managing answered miners.select with NO_MINERS: no miner has quota for no-miners',
    );
    expect((error as Error).cause).toEqual({
      code: 'NO_MINERS',
      message: 'no miner has quota for no-miners',
      details: { purpose: 'synthetic' },
    });
  });

  it('reports an unexpected remote failure as internal without its details', async () => {
    const error = await clientA
      .send('miners.select', { taskType: 'crash', count: 1, purpose: 'organic' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcRemoteError);
    expect((error as RpcRemoteError).remoteCode).toBe(RpcErrorCode.Internal);
    expect((error as Error).message).not.toContain('10.1.2.3');
  });

  it('rejects an answer that does not match the response schema', async () => {
    const error = await clientA
      .send('miners.select', { taskType: 'garbled', count: 1, purpose: 'organic' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect(error).not.toBeInstanceOf(RpcRemoteError);
    expect((error as ContractError).code).toBe(ContractErrorCode.InvalidResponse);
    expect((error as Error).message).toContain(
      'managing answered miners.select with an invalid response: miners.0.uid',
    );
  });

  it('delivers an event and drops one whose payload is invalid', async () => {
    await clientA.emit('chain.block.new', { block: -1, hash: 'nope' });
    await clientA.emit('chain.block.new', { block: 101, hash: blockHash });
    await vi.waitFor(() => {
      expect(stackA.blocks).toEqual([{ block: 101, hash: blockHash }]);
    });
  });

  it('keeps two prefixes on one Redis apart', async () => {
    const [fromA, fromB] = await Promise.all([
      clientA.send('scores.weights', { netuid: 1 }),
      clientB.send('scores.weights', { netuid: 2 }),
    ]);
    expect(fromA).toEqual({ weights: { [hotkey]: 1 }, epoch: 1 });
    expect(fromB).toEqual({ weights: { [hotkey]: 0.5 }, epoch: 2 });

    const before = stackA.blocks.length;
    await clientA.emit('chain.block.new', { block: 201, hash: blockHash });
    await clientB.emit('chain.block.new', { block: 202, hash: blockHash });
    // Redis delivers in publish order on a subscriber connection: once B has its own event, it would have A's.
    await vi.waitFor(() => {
      expect(stackB.blocks.length).toBeGreaterThan(0);
    });
    expect(stackB.blocks).toEqual([{ block: 202, hash: blockHash }]);
    await vi.waitFor(() => {
      expect(stackA.blocks.slice(before)).toEqual([{ block: 201, hash: blockHash }]);
    });
  });

  it('subscribes handlers on channels under the prefix', async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true });
    await redis.connect();
    try {
      const channels = await redis.pubsub('CHANNELS', `${prefixA}:*`);
      expect([...(channels as string[])].sort()).toEqual(
        [`${prefixA}:chain.block.new`, `${prefixA}:miners.select`, `${prefixA}:scores.weights`].sort(),
      );
    } finally {
      redis.disconnect();
    }
  });

  it('provides a client whose options come from config', async () => {
    const CONFIG = Symbol('config');
    @Module({
      providers: [{ provide: CONFIG, useValue: { REDIS_URL: redisUrl, REDIS_PREFIX: prefixB } }],
      exports: [CONFIG],
    })
    class ConfigModule {}
    const app = await NestFactory.createApplicationContext(
      ContractsModule.forClientAsync({
        imports: [ConfigModule],
        inject: [CONFIG],
        useFactory: (config: { REDIS_URL: string; REDIS_PREFIX: string }) => ({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
        }),
      }),
      { logger: false },
    );
    try {
      await expect(app.get(RpcClient).send('scores.weights', { netuid: 3 })).resolves.toEqual({
        weights: { [hotkey]: 0.5 },
        epoch: 3,
      });
    } finally {
      await app.close();
    }
  });

  it('reports an unreachable Redis as unavailable, not as a timeout', async () => {
    const client = createRpcClient({ redisUrl: 'redis://127.0.0.1:1', prefix, timeoutMs: 5_000 });
    try {
      const started = performance.now();
      const error = await client.send('chain.block.latest', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContractError);
      expect((error as ContractError).code).toBe(ContractErrorCode.Unavailable);
      expect((error as Error).message).toContain('could not ask sidecar chain.block.latest');
      expect((error as Error).cause).toBeDefined();
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await client.close();
    }
  });

  // The lines under @ts-expect-error must fail to compile; `tsc` (the typecheck target) fails if one compiles.
  it('types requests, events and handlers by pattern', () => {
    const mistypedCalls = (client: RpcClient) => {
      // @ts-expect-error count is a number
      void client.send('miners.select', { taskType: 'text', count: '3', purpose: 'organic' });
      // @ts-expect-error purpose is synthetic or organic
      void client.send('miners.select', { taskType: 'text', count: 3, purpose: 'batch' });
      // @ts-expect-error not a pattern of the stack
      void client.send('miners.unknown', {});
      // @ts-expect-error an event is not a request
      void client.send('chain.block.new', { block: 1, hash: blockHash });
      // @ts-expect-error epoch and block are missing
      void client.emit('chain.epoch.new', { netuid: 1 });
      // @ts-expect-error a request is not an event
      void client.emit('miners.report', { uid: 1, hotkey, ok: true, latencyMs: 3 });
    };

    class MistypedHandlers {
      // @ts-expect-error the answer is not miners.report's response
      @RpcHandler('miners.report')
      report(): { accepted: false } {
        return { accepted: false };
      }

      // @ts-expect-error the payload parameter is not miners.select's request
      @RpcHandler('miners.select')
      select(request: { netuid: number }): RpcResponse<'miners.select'> {
        return { miners: [], reason: String(request.netuid) };
      }

      // @ts-expect-error the listener does not take chain.block.new's payload
      @EventHandler('chain.block.new')
      onBlock(event: { netuid: number }): number {
        return event.netuid;
      }
    }

    expectTypeOf(mistypedCalls).parameter(0).toEqualTypeOf<RpcClient>();
    const report: unknown = Object.getOwnPropertyDescriptor(MistypedHandlers.prototype, 'report')?.value;
    expect(Reflect.getMetadata('microservices:pattern', report as object)).toEqual(['miners.report']);
  });
});
