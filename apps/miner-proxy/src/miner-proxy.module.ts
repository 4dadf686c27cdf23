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
  EpistulaVerifier,
  metagraphSignerPolicy,
  RedisReplayCache,
  type ReplayCache,
} from '@vstack/epistula';
import type { Logger } from '@vstack/observability';
import { ReadinessRegistry } from '@vstack/runtime';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { minerHotkeyAddress } from './hotkey';
import {
  ChainMetagraphSource,
  METAGRAPH_SOURCE,
  MetagraphCache,
  type MetagraphSource,
} from './metagraph-source';
import { ProxyService } from './proxy.service';
import { StakeRateLimiter } from './rate-limiter';
import { StatusController } from './status.controller';
import { MINER_HOTKEY_ADDRESS, PROXY_SERVICE, REPLAY_CACHE } from './tokens';
import { routeTable } from './upstreams';

/** What tests (and private deployments) may put in place of the chain and Redis. */
export interface MinerProxyOverrides {
  metagraph?: MetagraphSource;
  replayCache?: ReplayCache;
  hotkeyAddress?: string;
  clock?: () => number;
}

interface ReplayCacheHandle {
  cache: ReplayCache;
  close(): Promise<void>;
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
          provide: MINER_HOTKEY_ADDRESS,
          useFactory: () => overrides.hotkeyAddress ?? minerHotkeyAddress(config),
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
          useFactory: (): ReplayCacheHandle => {
            if (overrides.replayCache) {
              return { cache: overrides.replayCache, close: () => Promise.resolve() };
            }
            const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
            redis.on('error', (error: unknown) => {
              logger.warn({ err: error }, 'replay cache: Redis error');
            });
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
          inject: [MINER_HOTKEY_ADDRESS, METAGRAPH_SOURCE, REPLAY_CACHE],
          useFactory: (hotkey: string, metagraph: MetagraphSource, replay: ReplayCacheHandle) => {
            const verifier = new EpistulaVerifier({
              hotkey,
              maxAgeMs: config.EPISTULA_MAX_AGE_MS,
              maxFutureMs: config.EPISTULA_MAX_FUTURE_MS,
              ...(overrides.clock ? { clock: overrides.clock } : {}),
              signerPolicy: metagraphSignerPolicy({
                lookup: (signer) => metagraph.standing(signer),
                requireValidatorPermit: config.REQUIRE_VALIDATOR_PERMIT,
                minStake: config.MIN_VALIDATOR_STAKE,
              }),
              replayCache: replay.cache,
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
              logger,
            });
          },
        },
      ],
    };
  }
}
