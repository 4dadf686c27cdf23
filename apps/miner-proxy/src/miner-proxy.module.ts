import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ChainConnection, SubtensorClient } from '@vstack/chain';
import type { MinerProxyConfig } from '@vstack/config';
import {
  type EpistulaSigner,
  EpistulaVerifier,
  metagraphSignerPolicy,
  RedisReplayCache,
  type ReplayCache,
  SignatureWorkerPool,
  sr25519SignerFromPair,
} from '@vstack/epistula';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import { ReadinessRegistry } from '@vstack/runtime';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadMinerHotkey } from './hotkey';
import {
  ChainMetagraphSource,
  METAGRAPH_SOURCE,
  MetagraphCache,
  type MetagraphSource,
} from './metagraph-source';
import { ProxyMetrics } from './proxy-metrics';
import { ProxyService } from './proxy.service';
import { StakeRateLimiter } from './rate-limiter';
import { StatusController } from './status.controller';
import { MINER_HOTKEY_ADDRESS, MINER_KEY, PROXY_SERVICE, REPLAY_CACHE, SIGNATURE_WORKERS } from './tokens';
import { routeTable } from './upstreams';

/** What tests (and private deployments) may put in place of the chain and Redis. */
export interface MinerProxyOverrides {
  metagraph?: MetagraphSource;
  replayCache?: ReplayCache;
  /** The miner's hotkey address, without loading the key (only when responses are not signed). */
  hotkeyAddress?: string;
  clock?: () => number;
}

interface ReplayCacheHandle {
  cache: ReplayCache;
  close(): Promise<void>;
}

interface MinerKey {
  address: string;
  /** Present when SIGN_RESPONSES is on. */
  signer: EpistulaSigner | undefined;
}

interface SignatureWorkers {
  pool: SignatureWorkerPool | undefined;
}

/** Resolves once Redis is connected, at its first error, or after the wait; the readiness check says the rest. */
function redisConnected(redis: Redis, waitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    redis.once('ready', done);
    redis.once('error', done);
  });
}

/** Starts the metagraph, registers the proxy routes and readiness checks, and closes it all on shutdown. */
@Injectable()
class MinerProxyLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly readiness: ReadinessRegistry,
    @Inject(PROXY_SERVICE) private readonly proxy: ProxyService,
    @Inject(METAGRAPH_SOURCE) private readonly metagraph: MetagraphSource,
    @Inject(REPLAY_CACHE) private readonly replay: ReplayCacheHandle,
    @Inject(SIGNATURE_WORKERS) private readonly workers: SignatureWorkers,
  ) {}

  async onModuleInit(): Promise<void> {
    this.readiness.add({
      name: 'metagraph',
      check: () => {
        const status = this.metagraph.status();
        return Promise.resolve(
          status.stale
            ? {
                ok: false,
                detail:
                  status.block === undefined
                    ? 'not read yet'
                    : `${status.ageBlocks ?? '?'} blocks old at block ${status.block}`,
              }
            : { ok: true, detail: `block ${status.block ?? '?'}` },
        );
      },
    });
    for (const upstream of this.proxy.upstreams.values()) {
      this.readiness.add({
        name: `upstream ${upstream.url}`,
        check: async () =>
          (await upstream.reachable()) ? { ok: true } : { ok: false, detail: 'cannot be reached' },
      });
    }
    await this.proxy.register(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
    await this.metagraph.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
    await this.metagraph.stop();
    await this.replay.close();
    await this.workers.pool?.close();
  }
}

/** The Epistula-verifying reverse proxy in front of a miner. */
@Module({})
export class MinerProxyModule {
  static forRoot(
    config: MinerProxyConfig,
    logger: Logger,
    overrides: MinerProxyOverrides = {},
  ): DynamicModule {
    const cache = new MetagraphCache(config.NETUID, config.METAGRAPH_MAX_AGE_BLOCKS, overrides.clock);
    return {
      module: MinerProxyModule,
      controllers: [StatusController],
      providers: [
        MinerProxyLifecycle,
        {
          provide: MINER_KEY,
          useFactory: async (): Promise<MinerKey> => {
            if (overrides.hotkeyAddress !== undefined && !config.SIGN_RESPONSES) {
              return { address: overrides.hotkeyAddress, signer: undefined };
            }
            const pair = await loadMinerHotkey(config);
            return {
              address: pair.address,
              signer: config.SIGN_RESPONSES ? await sr25519SignerFromPair(pair) : undefined,
            };
          },
        },
        {
          provide: MINER_HOTKEY_ADDRESS,
          inject: [MINER_KEY],
          useFactory: (key: MinerKey) => key.address,
        },
        {
          provide: SIGNATURE_WORKERS,
          useFactory: (): SignatureWorkers => ({
            pool:
              config.VERIFY_THREADS > 0
                ? new SignatureWorkerPool({ threads: config.VERIFY_THREADS })
                : undefined,
          }),
        },
        {
          provide: METAGRAPH_SOURCE,
          useFactory: (): MetagraphSource => {
            if (overrides.metagraph) return overrides.metagraph;
            const connection = new ChainConnection({
              endpoints: config.SUBTENSOR_URL.split(',').map((url) => url.trim()),
              logger,
            });
            return new ChainMetagraphSource(
              cache,
              connection,
              new SubtensorClient({ connection, logger }),
              logger,
            );
          },
        },
        {
          provide: REPLAY_CACHE,
          useFactory: async (): Promise<ReplayCacheHandle> => {
            if (overrides.replayCache) {
              return { cache: overrides.replayCache, close: () => Promise.resolve() };
            }
            const redis = new Redis(config.REDIS_URL, {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              enableAutoPipelining: true,
            });
            redis.on('error', (error: unknown) => {
              logger.warn({ err: error }, 'replay cache: Redis error');
            });
            // Without an offline queue, requests before the connection would get 503: give it a moment.
            await redisConnected(redis, 3_000);
            return {
              cache: new RedisReplayCache(redis, { keyPrefix: `${config.REDIS_PREFIX}:epistula:replay:` }),
              close: async () => {
                redis.disconnect();
                await Promise.resolve();
              },
            };
          },
        },
        {
          provide: PROXY_SERVICE,
          inject: [MINER_KEY, METAGRAPH_SOURCE, REPLAY_CACHE, SIGNATURE_WORKERS, ServiceMetrics],
          useFactory: (
            key: MinerKey,
            metagraph: MetagraphSource,
            replay: ReplayCacheHandle,
            workers: SignatureWorkers,
            serviceMetrics: ServiceMetrics,
          ) => {
            const verifier = new EpistulaVerifier({
              hotkey: key.address,
              maxAgeMs: config.EPISTULA_MAX_AGE_MS,
              maxFutureMs: config.EPISTULA_MAX_FUTURE_MS,
              ...(overrides.clock ? { clock: overrides.clock } : {}),
              signerPolicy: metagraphSignerPolicy({
                lookup: (signer) => metagraph.standing(signer),
                requireValidatorPermit: config.REQUIRE_VALIDATOR_PERMIT,
                minStake: config.MIN_VALIDATOR_STAKE,
              }),
              replayCache: replay.cache,
              ...(workers.pool ? { signatureChecker: workers.pool } : {}),
            });
            return new ProxyService({
              routes: routeTable(
                config.INFERENCE_SERVER_URL,
                config.TRAINING_SERVER_URL,
                config.PROXY_ROUTES,
              ),
              verifier,
              metagraph,
              rateLimiter: new StakeRateLimiter({
                perThousandTaoPerMinute: config.RATE_LIMIT_PER_1K_TAO_PER_MINUTE,
                minPerMinute: config.RATE_LIMIT_MIN_PER_MINUTE,
                ...(overrides.clock ? { clock: overrides.clock } : {}),
              }),
              maxBodyBytes: config.MAX_BODY_BYTES,
              upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
              metrics: new ProxyMetrics(serviceMetrics.registry),
              responseSigning: key.signer
                ? { signer: key.signer, maxBytes: config.SIGN_RESPONSES_MAX_BYTES }
                : undefined,
              logger,
            });
          },
        },
      ],
    };
  }
}
