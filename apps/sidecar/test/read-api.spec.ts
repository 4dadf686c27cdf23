import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createRpcClient,
  createRpcMicroserviceOptions,
  EventHandler,
  type EventPayload,
  type RpcClient,
  RpcPayload,
  RpcRemoteError,
} from '@vstack/contracts';
import {
  type ApiError,
  type Block,
  type IdentitiesResponse,
  neuronSchema,
  type NeuronsResponse,
  neuronsResponseSchema,
  type ValidatorsResponse,
  validatorsResponseSchema,
} from '@vstack/sidecar-client';
import { type RunningDevnet, startDevnet } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  ALICE_HOTKEY,
  ALICE_TOKEN,
  devnetCall,
  get,
  metricValue,
  OPEN_TOKEN,
  type RunningSidecar,
  startSidecar,
} from './sidecar-process';

// The built sidecar against the real devnet (default scenario: netuid 1, validators //Alice, //Bob, //Charlie and
// five miners), as a client sees it over HTTP and over the Redis RPC transport.

type ChainEvent = {
  [E in 'chain.block.new' | 'chain.epoch.new' | 'chain.metagraph.changed']: [E, EventPayload<E>];
}['chain.block.new' | 'chain.epoch.new' | 'chain.metagraph.changed'];
const heard: ChainEvent[] = [];

@Controller()
class ChainEventListener {
  @EventHandler('chain.block.new')
  block(@RpcPayload('chain.block.new') event: EventPayload<'chain.block.new'>): void {
    heard.push(['chain.block.new', event]);
  }

  @EventHandler('chain.epoch.new')
  epoch(@RpcPayload('chain.epoch.new') event: EventPayload<'chain.epoch.new'>): void {
    heard.push(['chain.epoch.new', event]);
  }

  @EventHandler('chain.metagraph.changed')
  metagraph(@RpcPayload('chain.metagraph.changed') event: EventPayload<'chain.metagraph.changed'>): void {
    heard.push(['chain.metagraph.changed', event]);
  }
}

@Module({ controllers: [ChainEventListener] })
class ListenerModule {}

interface DevHead {
  number: number;
  hash: string;
}

let devnet: RunningDevnet;
let sidecar: RunningSidecar;
let rpc: RpcClient;
let listener: INestMicroservice;

beforeAll(async () => {
  devnet = await startDevnet();
  // Blocks before the sidecar starts are not in its cache.
  await devnetCall(devnet, 'dev_newBlocks', [5]);
  sidecar = await startSidecar('sidecar_reads', devnet);
  rpc = createRpcClient({ redisUrl: inject('redisUrl'), prefix: sidecar.prefix, timeoutMs: 5_000 });
  listener = await NestFactory.createMicroservice(ListenerModule, {
    ...createRpcMicroserviceOptions(inject('redisUrl'), sidecar.prefix),
    logger: false,
  });
  await listener.listen();
});

afterAll(async () => {
  await rpc.close();
  await listener.close();
  await sidecar.stop();
  await devnet.stop();
});

async function devHead(): Promise<DevHead> {
  return devnetCall<DevHead>(devnet, 'dev_head');
}

/** Waits until the sidecar's latest neurons are those of `block`. */
async function latestAt(netuid: number, block: number): Promise<NeuronsResponse> {
  let body: NeuronsResponse | undefined;
  await vi.waitFor(
    async () => {
      const answer = await get<NeuronsResponse>(sidecar, `/api/v1/subnet/${netuid}/block/latest/neurons`);
      expect(answer.status).toBe(200);
      expect(answer.body.block.number).toBe(block);
      body = answer.body;
    },
    { timeout: 10_000, interval: 50 },
  );
  return body as NeuronsResponse;
}

describe('the read API', () => {
  it("serves a subnet's latest neurons in Pylon's shape, from the cache", async () => {
    const head = await devHead();
    const answer = await get<NeuronsResponse>(sidecar, '/api/v1/subnet/1/block/latest/neurons');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-cache-age-blocks')).toBe('0');
    expect(answer.headers.get('warning')).toBeNull();
    expect(neuronsResponseSchema.parse(answer.body)).toEqual(answer.body);
    expect(answer.body.block).toEqual({ number: head.number, hash: head.hash });
    const neurons = Object.values(answer.body.neurons);
    expect(neurons.map((neuron) => neuron.uid)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const neuron of neurons)
      expect(Object.keys(neuron).sort()).toEqual(Object.keys(neuronSchema.shape).sort());
    expect(answer.body.neurons[ALICE_HOTKEY]).toMatchObject({
      uid: 0,
      hotkey: ALICE_HOTKEY,
      stake: 100_000,
      stake_rao: '100000000000000',
      validator_permit: true,
      active: true,
    });
    const dave = neurons.find((neuron) => neuron.uid === 3);
    expect(dave?.axon_info).toEqual({ ip: '127.0.0.1', port: 8091, protocol: 4 });
    expect(dave?.validator_permit).toBe(false);
  });

  it('gives the same bytes for the head whether asked as latest, recent or by number', async () => {
    const latest = await fetch(`${sidecar.url}/api/v1/subnet/1/block/latest/neurons`, {
      headers: { authorization: `Bearer ${OPEN_TOKEN}` },
    });
    const body = await latest.text();
    const block = (JSON.parse(body) as NeuronsResponse).block.number;
    for (const path of [`/api/v1/subnet/1/block/${block}/neurons`, '/api/v1/subnet/1/block/recent/neurons']) {
      const other = await fetch(`${sidecar.url}${path}`, {
        headers: { authorization: `Bearer ${OPEN_TOKEN}` },
      });
      expect(await other.text()).toBe(body);
      expect(other.headers.get('content-type')).toBe(latest.headers.get('content-type'));
      expect(other.headers.get('x-cache-age-blocks')).toBe('0');
    }
    const validators = await Promise.all(
      ['latest', String(block)].map(async (choice) =>
        (
          await fetch(`${sidecar.url}/api/v1/identity/alice/subnet/1/block/${choice}/validators`, {
            headers: { authorization: `Bearer ${ALICE_TOKEN}` },
          })
        ).text(),
      ),
    );
    expect(validators[0]).toBe(validators[1]);
  });

  it('lists the validators by stake, largest first', async () => {
    const answer = await get<ValidatorsResponse>(sidecar, '/api/v1/subnet/1/block/latest/validators');
    expect(answer.status).toBe(200);
    expect(validatorsResponseSchema.parse(answer.body)).toEqual(answer.body);
    expect(answer.body.validators.map((validator) => [validator.uid, validator.stake])).toEqual([
      [0, 100_000],
      [1, 50_000],
      [2, 25_000],
    ]);
  });

  it('gives the latest block, and the newest cached neurons as `recent`', async () => {
    const head = await devHead();
    const latest = await get<Block>(sidecar, '/api/v1/block/latest');
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({ number: head.number, hash: head.hash });
    const recent = await get<NeuronsResponse>(sidecar, '/api/v1/subnet/1/block/recent/neurons');
    expect(recent.status).toBe(200);
    expect(recent.body.block.number).toBe(head.number);
    expect(recent.headers.get('x-cache-age-blocks')).toBe('0');
  });

  it('reads an older block by number from the chain, with its own hash', async () => {
    const head = await devHead();
    const hash = await devnetCall<string>(devnet, 'chain_getBlockHash', [3]);
    const answer = await get<NeuronsResponse>(sidecar, '/api/v1/subnet/1/block/3/neurons');
    expect(answer.status).toBe(200);
    expect(answer.body.block).toEqual({ number: 3, hash });
    expect(Object.keys(answer.body.neurons)).toHaveLength(8);
    expect(answer.headers.get('x-cache-age-blocks')).toBe(String(head.number - 3));
    const validators = await get<ValidatorsResponse>(sidecar, '/api/v1/subnet/1/block/3/validators');
    expect(validators.body.validators).toHaveLength(3);
  });

  it('follows new heads', async () => {
    const block = await devnetCall<number>(devnet, 'dev_newBlocks', [2]);
    const answer = await latestAt(1, block);
    expect(answer.block.hash).toBe((await devHead()).hash);
  });

  it('names the identities without their tokens', async () => {
    const answer = await get<IdentitiesResponse>(sidecar, '/api/v1/identities');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ identities: [{ name: 'alice', netuid: 1, hotkey: ALICE_HOTKEY }] });
    expect(JSON.stringify(answer.body)).not.toContain(ALICE_TOKEN);
  });

  it("serves the identity's routes to its own token only", async () => {
    const path = '/api/v1/identity/alice/subnet/1/block/latest/neurons';
    const mine = await get<NeuronsResponse>(sidecar, path, { token: ALICE_TOKEN });
    expect(mine.status).toBe(200);
    expect(Object.keys(mine.body.neurons)).toHaveLength(8);
    const validators = await get<ValidatorsResponse>(
      sidecar,
      '/api/v1/identity/alice/subnet/1/block/latest/validators',
      {
        token: ALICE_TOKEN,
      },
    );
    expect(validators.body.validators[0]?.hotkey).toBe(ALICE_HOTKEY);
    expect((await get<ApiError>(sidecar, path, { token: OPEN_TOKEN })).status).toBe(403);
    const unknown = await get<ApiError>(sidecar, '/api/v1/identity/bob/subnet/1/block/latest/neurons', {
      token: ALICE_TOKEN,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('identity_not_found');
    // An identity's token also opens the read routes.
    expect((await get(sidecar, '/api/v1/subnet/1/block/latest/neurons', { token: ALICE_TOKEN })).status).toBe(
      200,
    );
  });

  it('refuses requests without a token (401) and with a wrong one (403)', async () => {
    const none = await get<ApiError>(sidecar, '/api/v1/subnet/1/block/latest/neurons', { token: undefined });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await get<ApiError>(sidecar, '/api/v1/block/latest', { token: 'not-the-token-at-all' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('forbidden');
  });

  it.each([
    ['/api/v1/subnet/99/block/latest/neurons', 404, 'subnet_not_found'],
    ['/api/v1/subnet/99/block/recent/validators', 404, 'subnet_not_found'],
    ['/api/v1/subnet/1/block/999999/neurons', 404, 'block_not_found'],
    ['/api/v1/subnet/1/block/soon/neurons', 400, 'invalid_request'],
    ['/api/v1/subnet/1/block/-1/validators', 400, 'invalid_request'],
    ['/api/v1/subnet/70000/block/latest/neurons', 400, 'invalid_request'],
  ])('answers %s with %i %s', async (path, status, code) => {
    const answer = await get<ApiError>(sidecar, path);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  it.each(['soon', '0', '300001', '2.5'])(
    'refuses x-timeout-ms %j with 400 invalid_timeout',
    async (value) => {
      const answer = await get<ApiError>(sidecar, '/api/v1/subnet/1/block/latest/neurons', {
        headers: { 'x-timeout-ms': value },
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_timeout');
    },
  );

  it('answers 504 timeout when a chain read takes longer than x-timeout-ms, and 200 within it', async () => {
    // Block 2 was sealed before the sidecar started: reading it takes several round trips to the node.
    const late = await get<ApiError>(sidecar, '/api/v1/subnet/1/block/2/neurons', {
      headers: { 'x-timeout-ms': '1' },
    });
    expect(late.status).toBe(504);
    expect(late.body.error.code).toBe('timeout');
    const cached = await get(sidecar, '/api/v1/subnet/1/block/latest/neurons', {
      headers: { 'x-timeout-ms': '1000' },
    });
    expect(cached.status).toBe(200);
  });

  it('publishes its OpenAPI document and a page that shows it, to everyone', async () => {
    const document = await get<{ openapi: string; paths: Record<string, unknown> }>(
      sidecar,
      '/schema/swagger',
      {
        token: undefined,
      },
    );
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toContain('/api/v1/subnet/{netuid}/block/{block}/neurons');
    const page = await fetch(`${sidecar.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('/api/v1/block/latest');
  });

  it('reports the chain and the cache in readiness and metrics', async () => {
    const ready = await get<{ status: string; checks: Record<string, { ok: boolean }> }>(
      sidecar,
      '/health/ready',
      {
        token: undefined,
      },
    );
    expect(ready.status).toBe(200);
    expect(ready.body.checks['chain']?.ok).toBe(true);
    expect(ready.body.checks['metagraph cache']?.ok).toBe(true);
    expect(await metricValue(sidecar, 'vstack_sidecar_cache_age_blocks', { netuid: '1' })).toBe(0);
    expect(
      await metricValue(sidecar, 'vstack_chain_operation_duration_seconds_count', {
        operation: 'metagraph',
        status: 'ok',
      }),
    ).toBeGreaterThan(0);
  });
});

describe('RPC and events over Redis', () => {
  it('answers chain.block.latest, chain.neurons and chain.hyperparameters from the cache', async () => {
    const head = await devHead();
    await latestAt(1, head.number);
    expect(await rpc.send('chain.block.latest', {})).toEqual({
      block: head.number,
      hash: head.hash,
      timestamp: expect.any(Number) as number,
    });
    const neurons = await rpc.send('chain.neurons', { netuid: 1 });
    expect(neurons.block).toBe(head.number);
    expect(neurons.neurons.find((neuron) => neuron.uid === 0)).toMatchObject({
      hotkey: ALICE_HOTKEY,
      stake: '100000000000000',
      validatorPermit: true,
    });
    const older = await rpc.send('chain.neurons', { netuid: 1, block: 4 });
    expect(older.block).toBe(4);
    expect(await rpc.send('chain.hyperparameters', { netuid: 1 })).toMatchObject({ netuid: 1, tempo: 60 });
    const unknown = await rpc.send('chain.neurons', { netuid: 99 }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(RpcRemoteError);
    expect(unknown).toMatchObject({ remoteCode: 'subnet_not_found' });
  });

  it('broadcasts every new head', async () => {
    heard.length = 0;
    const block = await devnetCall<number>(devnet, 'dev_newBlocks', [1]);
    const { hash } = await devHead();
    await vi.waitFor(() => {
      expect(heard).toContainEqual(['chain.block.new', { block, hash }]);
    });
  });

  it('tracks a subnet once asked for it, and broadcasts its metagraph changes and new epochs', async () => {
    expect((await get<ApiError>(sidecar, '/api/v1/subnet/2/block/latest/neurons')).body.error.code).toBe(
      'subnet_not_found',
    );
    const subnet = (neurons: string[]) => ({
      subnets: [
        {
          netuid: 2,
          tempo: 2,
          neurons: neurons.map((hotkey, uid) => ({
            hotkey,
            stake: String((uid + 1) * 1e12),
            validator: uid === 0,
          })),
        },
      ],
    });
    const created = await devnetCall<DevHead>(devnet, 'dev_applyScenario', [subnet(['//Sn2a', '//Sn2b'])]);
    const first = await latestAt(2, created.number);
    expect(Object.keys(first.neurons)).toHaveLength(2);

    heard.length = 0;
    const changed = await devnetCall<DevHead>(devnet, 'dev_applyScenario', [
      subnet(['//Sn2a', '//Sn2b', '//Sn2c']),
    ]);
    await vi.waitFor(() => {
      expect(heard).toContainEqual(['chain.metagraph.changed', { netuid: 2, block: changed.number }]);
    });
    expect(Object.keys((await latestAt(2, changed.number)).neurons)).toHaveLength(3);

    // Tempo 2 on netuid 2: a new epoch index every 3 blocks. One block at a time, each refreshed before the next.
    const epochsOf2 = () =>
      heard.flatMap((entry) => (entry[0] === 'chain.epoch.new' && entry[1].netuid === 2 ? [entry[1]] : []));
    for (let sealed = 0; sealed < 6 && epochsOf2().length === 0; sealed++) {
      const block = await devnetCall<number>(devnet, 'dev_newBlocks', [1]);
      await latestAt(2, block);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const epochs = epochsOf2();
    expect(epochs).toHaveLength(1);
    const epoch = epochs[0] as EventPayload<'chain.epoch.new'>;
    // subtensor's get_epoch_index: floor((block + netuid + 1) / (tempo + 1)), starting at `block`.
    expect(Math.floor((epoch.block + 3) / 3)).toBe(epoch.epoch);
    expect((epoch.block + 3) % 3).toBe(0);
  });
});
