import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { safeEqual } from '@vstack/observability';
import {
  type ApiNeuron,
  CACHE_AGE_HEADER,
  type IdentitiesResponse,
  type NeuronsResponse,
  putWeightsRequestSchema,
  type PutWeightsResponse,
  SidecarApiErrorCode,
  type ValidatorsResponse,
  type WeightsHistoryResponse,
  type WeightsJob,
} from './api';

// An in-process HTTP server that answers like the sidecar, for the client's tests (not exported by the lib).

export const FAKE_TOKEN = 'sk-sidecar-3f9a1c7e52b04d8e';
export const FAKE_NETUID = 1;
export const FAKE_IDENTITY = 'main';
export const HEAD = 4_210_337;

/** Dev accounts (//Alice, //Bob, ...) as hotkeys, their //stash accounts as coldkeys. */
export const hotkeys = {
  alice: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
  bob: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
  charlie: '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y',
  dave: '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy',
  eve: '5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw',
} as const;
const coldkeys = {
  alice: '5GNJqTPyNqANBkUVMN1LPPrxXnFouWXoe2wNSmmEoLctxiZY',
  bob: '5HpG9w8EBLe5XCrbczpwq5TSXvedjrBGCwqxK1iQ7qUsSWFc',
  charlie: '5Ck5SLSHYac6WFt5UZRSsdJjwmpSZq85fd5TRNAdZQVzEAPT',
  dave: '5HKPmK9GYtE1PSLsS1qiYU9xQ9Si1NcEhdeCq9sw5bqu4ns8',
  eve: '5FCfAonRZgTFrTd9HREEyeJjDpT397KMzizE6T3DvebLFE7n',
} as const;

/** The hash the fake gives block `n`: 0x + 64 hex digits, distinct per block. */
export function blockHash(n: number): string {
  return `0x${n.toString(16).padStart(8, '0').repeat(8)}`;
}

function neuron(uid: number, name: keyof typeof hotkeys, stakeRao: bigint, validator: boolean): ApiNeuron {
  return {
    uid,
    coldkey: coldkeys[name],
    hotkey: hotkeys[name],
    active: true,
    axon_info: { ip: '127.0.0.1', port: 8091 + uid, protocol: 4 },
    stake: Number(stakeRao) / 1e9,
    stake_rao: stakeRao.toString(),
    emission: validator ? 0 : 0.123456789,
    incentive: validator ? 0 : 0.25,
    consensus: validator ? 0 : 0.249_992,
    validator_trust: validator ? 0.999_985 : 0,
    dividends: validator ? 0.333_328 : 0,
    last_update: HEAD - 17 - uid,
    validator_permit: validator,
    block_at_registration: 1_024 + uid,
  };
}

export const neuronsAt: readonly ApiNeuron[] = [
  neuron(0, 'alice', 1_000_000_000_000_000n, true),
  neuron(1, 'bob', 250_000_123_456_789n, true),
  neuron(2, 'charlie', 4_000_000_000_000_000n, true),
  neuron(3, 'dave', 0n, false),
  neuron(4, 'eve', 1_500_000_000n, false),
];

export const weightsJob: WeightsJob = {
  id: 'main:1:70172',
  identity: FAKE_IDENTITY,
  netuid: FAKE_NETUID,
  epoch: 70_172,
  state: 'revealed',
  mode: 'commit-reveal',
  attempts: 1,
  count: 2,
  tx_hash: `0x${'5e'.repeat(32)}`,
  block: HEAD - 120,
  reveal_tx_hash: `0x${'7c'.repeat(32)}`,
  reveal_block: HEAD - 60,
  last_error: null,
  created_at: '2025-11-21T09:14:02.118Z',
  updated_at: '2025-11-21T09:26:14.530Z',
};

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body?: unknown;
}

export type FakeRoute =
  'latestBlock' | 'neurons' | 'validators' | 'putWeights' | 'weightsHistory' | 'identities';

/** Answers one request instead of the fake's own handler; `hit` counts the route's requests from 1. */
export type FakeHandler = (request: FastifyRequest, reply: FastifyReply, hit: number) => unknown;

export interface FakeSidecar {
  url: string;
  requests: RecordedRequest[];
  /** Replaces a route's handler. */
  on(route: FakeRoute, handler: FakeHandler): void;
  /** How many requests reached the route (authorised or not). */
  hits(route: FakeRoute): number;
  close(): Promise<void>;
}

/** Sends the API's error body. */
export function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** Waits `ms`, or less if the client hangs up first (so a slow handler does not outlive its test). */
export async function stall(reply: FastifyReply, ms: number): Promise<void> {
  const controller = new AbortController();
  try {
    await Promise.race([
      delay(ms, undefined, { signal: controller.signal }),
      once(reply.raw, 'close', { signal: controller.signal }),
    ]);
  } catch {
    // aborted below
  } finally {
    controller.abort();
  }
}

function blockOf(selector: string): number | undefined {
  if (selector === 'latest') return HEAD;
  if (selector === 'recent') return HEAD - 2;
  return /^\d+$/.test(selector) ? Number(selector) : undefined;
}

const routePatterns: Record<FakeRoute, { method: 'GET' | 'PUT'; url: string }> = {
  latestBlock: { method: 'GET', url: '/api/v1/block/latest' },
  neurons: { method: 'GET', url: '/api/v1/subnet/:netuid/block/:block/neurons' },
  validators: { method: 'GET', url: '/api/v1/subnet/:netuid/block/:block/validators' },
  putWeights: { method: 'PUT', url: '/api/v1/identity/:name/subnet/:netuid/weights' },
  weightsHistory: { method: 'GET', url: '/api/v1/identity/:name/subnet/:netuid/weights/history' },
  identities: { method: 'GET', url: '/api/v1/identities' },
};

/** The sidecar's own answers, with its checks of token, subnet, block and identity. */
const defaultHandlers: Record<FakeRoute, FakeHandler> = {
  latestBlock: () => ({ number: HEAD, hash: blockHash(HEAD) }),
  neurons: (request, reply) => {
    const params = request.params as { netuid: string; block: string };
    if (Number(params.netuid) !== FAKE_NETUID) {
      return fail(reply, 404, SidecarApiErrorCode.SubnetNotFound, `subnet ${params.netuid} does not exist`);
    }
    const block = blockOf(params.block);
    if (block === undefined) return fail(reply, 400, SidecarApiErrorCode.InvalidRequest, 'bad block');
    if (block > HEAD) return fail(reply, 404, SidecarApiErrorCode.BlockNotFound, `block ${block} not found`);
    const body: NeuronsResponse = {
      block: { number: block, hash: blockHash(block) },
      neurons: Object.fromEntries(neuronsAt.map((n) => [n.hotkey, n])),
    };
    return reply.header(CACHE_AGE_HEADER, String(HEAD - block)).send(body);
  },
  validators: (request, reply) => {
    const params = request.params as { netuid: string; block: string };
    if (Number(params.netuid) !== FAKE_NETUID) {
      return fail(reply, 404, SidecarApiErrorCode.SubnetNotFound, `subnet ${params.netuid} does not exist`);
    }
    const block = blockOf(params.block) ?? HEAD;
    const body: ValidatorsResponse = {
      block: { number: block, hash: blockHash(block) },
      validators: neuronsAt
        .filter((n) => n.validator_permit)
        .sort((a, b) => Number(BigInt(b.stake_rao) - BigInt(a.stake_rao))),
    };
    return reply.header(CACHE_AGE_HEADER, String(HEAD - block)).send(body);
  },
  putWeights: (request, reply) => {
    const params = request.params as { name: string; netuid: string };
    if (params.name !== FAKE_IDENTITY) {
      return fail(
        reply,
        404,
        SidecarApiErrorCode.IdentityNotFound,
        `identity ${params.name} is not configured`,
      );
    }
    const parsed = putWeightsRequestSchema.safeParse(request.body);
    if (!parsed.success) return fail(reply, 400, SidecarApiErrorCode.InvalidWeights, parsed.error.message);
    const known = new Set(neuronsAt.map((n) => n.hotkey));
    const hotkeysSent = Object.keys(parsed.data.weights);
    const body: PutWeightsResponse = {
      detail: 'weights update scheduled',
      count: hotkeysSent.filter((h) => known.has(h) && (parsed.data.weights[h] ?? 0) > 0).length,
      job_id: `${params.name}:${params.netuid}:70173`,
      epoch: 70_173,
      unknown_hotkeys: hotkeysSent.filter((h) => !known.has(h)),
    };
    return body;
  },
  weightsHistory: (request, reply) => {
    const params = request.params as { name: string };
    if (params.name !== FAKE_IDENTITY) {
      return fail(
        reply,
        404,
        SidecarApiErrorCode.IdentityNotFound,
        `identity ${params.name} is not configured`,
      );
    }
    const body: WeightsHistoryResponse = { jobs: [weightsJob] };
    return body;
  },
  identities: () => {
    const body: IdentitiesResponse = {
      identities: [{ name: FAKE_IDENTITY, netuid: FAKE_NETUID, hotkey: hotkeys.alice }],
    };
    return body;
  },
};

/** Starts the fake on 127.0.0.1, on a free port. */
export async function startFakeSidecar(): Promise<FakeSidecar> {
  // Closing drops kept-alive client connections too, so close() does not wait for the client to let go of them.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const recordOf = new WeakMap<FastifyRequest, RecordedRequest>();
  const overrides = new Map<FakeRoute, FakeHandler>();
  const hitCounts = new Map<FakeRoute, number>();
  const routeByPattern = new Map(
    Object.entries(routePatterns).map(([name, { method, url }]) => [`${method} ${url}`, name as FakeRoute]),
  );

  app.addHook('onRequest', async (request, reply) => {
    const record: RecordedRequest = { method: request.method, url: request.url, headers: request.headers };
    requests.push(record);
    recordOf.set(request, record);
    const route = routeByPattern.get(`${request.method} ${request.routeOptions.url ?? ''}`);
    if (route !== undefined) hitCounts.set(route, (hitCounts.get(route) ?? 0) + 1);
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      return fail(reply, 401, SidecarApiErrorCode.Unauthorized, 'a bearer token is required');
    }
    if (!safeEqual(authorization, `Bearer ${FAKE_TOKEN}`)) {
      return fail(reply, 403, SidecarApiErrorCode.Forbidden, 'the bearer token is not valid');
    }
    return undefined;
  });
  app.addHook('preHandler', async (request) => {
    const record = recordOf.get(request);
    if (record) record.body = request.body;
    return Promise.resolve();
  });

  for (const [name, { method, url }] of Object.entries(routePatterns) as [
    FakeRoute,
    (typeof routePatterns)[FakeRoute],
  ][]) {
    app.route({
      method,
      url,
      handler: async (request, reply) => {
        const handler = overrides.get(name) ?? defaultHandlers[name];
        return handler(request, reply, hitCounts.get(name) ?? 0);
      },
    });
  }

  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (route, handler) => overrides.set(route, handler),
    hits: (route) => hitCounts.get(route) ?? 0,
    close: () => app.close(),
  };
}
