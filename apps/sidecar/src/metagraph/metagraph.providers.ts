import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DynamicModule,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { SidecarConfig } from '@vstack/config';
import { ContractsModule, RpcClient } from '@vstack/contracts';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import { HttpAdapterHost } from '@nestjs/core';
import { ReadinessRegistry, SERVICE_LOGGER } from '@vstack/runtime';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { IdentitiesService } from '../auth/identities.service';
import { ChainMetrics } from '../chain/chain-metrics';
import { ChainService } from '../chain/chain.service';
import { DocsController } from '../docs/docs.controller';
import { RedisChainEvents } from './chain-events';
import { registerCachedReads } from './cached-reads';
import { ChainRpcController } from './chain-rpc.controller';
import { HeadWatcher } from './head-watcher';
import { SubtensorMetagraphChain } from './metagraph-chain';
import { MetagraphController } from './metagraph.controller';
import { NeuronsCache } from './neurons-cache';
import { ReadMetrics } from './read-metrics';
import { RedisSnapshotStore } from './snapshot-store';

/** The read side's own Redis connection (snapshots, event claims). */
export const READ_REDIS = Symbol('sidecar:read-redis');

/** Pause before connecting again when the first connection to the chain gave up. */
const CONNECT_AGAIN_MS = 5_000;
/** How long shutdown waits for a refresh in hand. */
const STOP_WAIT_MS = 2_000;

/** Starts following heads once the app is up, reports readiness, and stops it all on shutdown. */
@Injectable()
export class MetagraphLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watcher: HeadWatcher;
  #stopped = false;
  #again: NodeJS.Timeout | undefined;

  constructor(
    private readonly chain: ChainService,
    private readonly cache: NeuronsCache,
    private readonly readiness: ReadinessRegistry,
    private readonly adapterHost: HttpAdapterHost,
    private readonly identities: IdentitiesService,
    @Inject(READ_REDIS) private readonly redis: Redis,
    @Inject(ChainMetrics) metrics: ChainMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.watcher = new HeadWatcher(
      chain.connection,
      (head) => {
        cache.onHead(head);
      },
      logger,
    );
    metrics.countFallbacks(chain.connection);
  }

  onModuleInit(): void {
    registerCachedReads(
      this.adapterHost.httpAdapter.getInstance<FastifyInstance>(),
      this.cache,
      this.identities,
    );
    this.readiness.add({
      name: 'chain',
      check: () => {
        const connection = this.chain.connection;
        const head = this.cache.head;
        if (connection.isReady) {
          return Promise.resolve({
            ok: true,
            detail: `${connection.endpoint ?? '?'} at block ${head?.number ?? '?'}`,
          });
        }
        // Away: still ready while the cached answers are within the hard limit (they are served with a warning).
        const serving = head !== undefined && this.#freshEnough();
        return Promise.resolve({
          ok: serving,
          detail: `${connection.state}; ${serving ? 'serving cached answers' : 'nothing to serve'}`,
        });
      },
    });
    this.readiness.add({
      name: 'metagraph cache',
      check: () => {
        const status = this.cache.status();
        const unready = status.subnets.filter(
          (subnet) => subnet.ageBlocks === undefined || subnet.ageBlocks > this.cache.limits.hardBlocks,
        );
        const listed = status.subnets
          .map(
            (subnet) =>
              `subnet ${subnet.netuid}: ${subnet.block === undefined ? 'not read yet' : `block ${subnet.block}, ${subnet.ageBlocks ?? '?'} blocks old`}`,
          )
          .join('; ');
        return Promise.resolve({ ok: unready.length === 0, detail: listed || 'no subnet tracked' });
      },
    });
  }

  #freshEnough(): boolean {
    for (const age of this.cache.ages().values()) if (age > this.cache.limits.hardBlocks) return false;
    return true;
  }

  onApplicationBootstrap(): void {
    this.watcher.start();
    this.#connect();
  }

  /** Connects in the background; when the first connection gives up (no node within its budget), tries again. */
  #connect(): void {
    this.chain.start((error) => {
      if (this.#stopped) return;
      this.logger.error(
        { err: error, retryInMs: CONNECT_AGAIN_MS },
        'cannot reach the chain; reads answer from the cache or 503 meanwhile',
      );
      this.#again = setTimeout(() => {
        this.#connect();
      }, CONNECT_AGAIN_MS);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#again);
    this.watcher.stop();
    await Promise.race([this.cache.stop(), sleep(STOP_WAIT_MS)]);
    this.redis.disconnect();
  }
}

/** The read side's module parts, for SidecarModule: the event client, the REST and RPC controllers, the cache. */
export function metagraphParts(
  config: SidecarConfig,
  logger: Logger,
): { imports: DynamicModule[]; controllers: Type[]; providers: Provider[] } {
  return {
    imports: [
      ContractsModule.forClient({
        redisUrl: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        connectionName: 'vstack-sidecar-events',
      }),
    ],
    controllers: [MetagraphController, ChainRpcController, DocsController],
    providers: [
      {
        provide: ChainMetrics,
        inject: [ServiceMetrics],
        useFactory: (metrics: ServiceMetrics) => new ChainMetrics(metrics.registry),
      },
      {
        provide: READ_REDIS,
        useFactory: () => {
          const redis = new Redis(config.REDIS_URL, {
            connectionName: 'vstack-sidecar-cache',
            maxRetriesPerRequest: 1,
            commandTimeout: 2_000,
          });
          redis.on('error', (error: unknown) => {
            logger.debug({ err: error }, 'metagraph cache: Redis error');
          });
          return redis;
        },
      },
      {
        provide: NeuronsCache,
        inject: [ChainService, IdentitiesService, READ_REDIS, RpcClient, ChainMetrics, ServiceMetrics],
        useFactory: (
          chain: ChainService,
          identities: IdentitiesService,
          redis: Redis,
          rpc: RpcClient,
          chainMetrics: ChainMetrics,
          serviceMetrics: ServiceMetrics,
        ) => {
          const blockTimeMs = config.SIDECAR_BLOCK_TIME_MS;
          // Snapshots live as long as the main node keeps their state; older blocks come from the archive.
          const ttlSeconds = Math.ceil((config.SIDECAR_ARCHIVE_CUTOFF_BLOCKS * blockTimeMs) / 1000);
          // The gauge asks the cache for ages at scrape time, after both exist.
          const metrics = new ReadMetrics(serviceMetrics.registry, () => cache.ages());
          const cache = new NeuronsCache({
            chain: new SubtensorMetagraphChain(chain.client, chain.connection, chainMetrics),
            store: new RedisSnapshotStore(
              redis,
              `${config.REDIS_PREFIX}:sidecar:neurons:`,
              ttlSeconds,
              logger,
            ),
            events: new RedisChainEvents(rpc, redis, `${config.REDIS_PREFIX}:sidecar:events:`, logger),
            limits: {
              softBlocks: config.SIDECAR_STALE_SOFT_BLOCKS,
              hardBlocks: config.SIDECAR_STALE_HARD_BLOCKS,
              blockTimeMs,
            },
            netuids: [...new Set([...config.SIDECAR_NETUIDS, ...identities.netuids()])],
            logger,
            onStaleRead: (netuid, level) => {
              metrics.staleRead(netuid, level);
            },
          });
          return cache;
        },
      },
      MetagraphLifecycle,
    ],
  };
}
