import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ManagingConfig } from '@vstack/config';
import { ContractsModule, RpcClient } from '@vstack/contracts';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import type { RandomSource } from '@vstack/protocol';
import { ReadinessRegistry } from '@vstack/runtime';
import { Redis } from 'ioredis';
import { ManagingRpcController } from './api/managing-rpc.controller';
import { MinersController } from './api/miners.controller';
import { MinersOverviewBuilder } from './api/miners-overview';
import { createSelectionEngine, type SelectionEngine } from './engine';
import { MinerHealth } from './health/miner-health';
import { ManagingMetrics } from './metrics';
import { type QuotaCounters, RedisQuotaCounters } from './quota/quota-counters';
import { type MetagraphSource, MetagraphSync, SidecarMetagraphSource } from './registry/metagraph-sync';
import { HttpMinerStatusReader, type MinerStatusReader } from './registry/miner-declarations';
import { MinerRegistry } from './registry/miner-registry';
import { ScoringScoresSource, type ScoresSource } from './scores/score-book';
import { MinerSelector } from './selection/miner-selector';
import { SELECTION_ENGINE } from './tokens';

/** What tests (and private deployments) may put in place of the clock, randomness, the network and Redis. */
export interface ManagingOverrides {
  clock?: () => number;
  random?: RandomSource;
  metagraphSource?: MetagraphSource;
  scoresSource?: ScoresSource;
  statusReader?: MinerStatusReader;
  quotaCounters?: QuotaCounters;
}

/** The engine and what it holds open. */
interface EngineHandle {
  engine: SelectionEngine;
  close(): Promise<void>;
}

/** Starts the metagraph sync and the status reads, tells readiness about the metagraph, and stops it all. */
@Injectable()
class ManagingLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(SELECTION_ENGINE) private readonly handle: EngineHandle,
    @Inject(MetagraphSync) private readonly sync: MetagraphSync,
  ) {}

  onModuleInit(): void {
    const { registry, declarations } = this.handle.engine;
    this.readiness.add({
      name: 'metagraph',
      check: () => {
        const snapshot = registry.snapshot();
        return Promise.resolve(
          snapshot
            ? { ok: true, detail: `block ${snapshot.block}, ${snapshot.miners.length} miners` }
            : { ok: false, detail: 'not read from the sidecar yet' },
        );
      },
    });
    // New miners' declarations are read at once; the rest on their interval.
    registry.onChange(({ added, snapshot }) => {
      if (added.length > 0) void declarations.refresh(snapshot.miners);
    });
    this.sync.start();
    declarations.start(() => registry.snapshot()?.miners ?? []);
  }

  async onApplicationShutdown(): Promise<void> {
    this.sync.stop();
    await this.handle.engine.declarations.stop();
    await this.handle.close();
  }
}

/** managing: the miner registry, this validator's quotas on each miner, selection and miner health. */
@Module({})
export class ManagingModule {
  static forRoot(config: ManagingConfig, logger: Logger, overrides: ManagingOverrides = {}): DynamicModule {
    const fromEngine = <T>(pick: (engine: SelectionEngine) => T) => ({
      inject: [SELECTION_ENGINE],
      useFactory: (handle: EngineHandle) => pick(handle.engine),
    });
    return {
      module: ManagingModule,
      imports: [
        ContractsModule.forClient({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          connectionName: 'vstack-managing-rpc-client',
        }),
      ],
      controllers: [ManagingRpcController, MinersController],
      providers: [
        ManagingLifecycle,
        {
          provide: SELECTION_ENGINE,
          inject: [RpcClient],
          useFactory: (rpc: RpcClient): EngineHandle => {
            const closers: (() => Promise<void>)[] = [];
            let counters = overrides.quotaCounters;
            if (!counters) {
              const redis = new Redis(config.REDIS_URL, {
                connectionName: 'vstack-managing-quota',
                maxRetriesPerRequest: 1,
              });
              let warned = false;
              redis.on('error', (error: unknown) => {
                if (!warned) logger.warn({ err: error }, 'quota counters: Redis error');
                warned = true;
              });
              redis.on('ready', () => {
                warned = false;
              });
              closers.push(async () => {
                redis.disconnect();
                await Promise.resolve();
              });
              counters = new RedisQuotaCounters(redis);
            }
            let statusReader = overrides.statusReader;
            if (!statusReader) {
              const reader = new HttpMinerStatusReader();
              closers.push(() => reader.close());
              statusReader = reader;
            }
            const engine = createSelectionEngine({
              netuid: config.NETUID,
              validatorHotkey: config.VALIDATOR_HOTKEY_ADDRESS,
              counters,
              keyPrefix: `${config.REDIS_PREFIX}:managing:quota`,
              windowMs: config.MANAGING_QUOTA_WINDOW_SECONDS * 1000,
              statusReader,
              scoresSource: overrides.scoresSource ?? new ScoringScoresSource(rpc, config.NETUID),
              eligibility: {
                minValidatorStake: config.MANAGING_MIN_VALIDATOR_STAKE,
                requireValidatorPermit: config.MANAGING_REQUIRE_VALIDATOR_PERMIT,
              },
              capacity: {
                defaultCapacity: config.MANAGING_CAPACITY_DEFAULT,
                minCapacity: config.MANAGING_CAPACITY_MIN,
                maxCapacity: config.MANAGING_CAPACITY_MAX,
              },
              syntheticShare: config.MANAGING_SYNTHETIC_SHARE,
              topFraction: {
                synthetic: config.MANAGING_TOP_FRACTION_SYNTHETIC,
                organic: config.MANAGING_TOP_FRACTION_ORGANIC,
              },
              circuit: {
                failureThreshold: config.MANAGING_CIRCUIT_FAILURES,
                openMs: config.MANAGING_CIRCUIT_OPEN_MS,
                maxOpenMs: config.MANAGING_CIRCUIT_OPEN_MAX_MS,
                probeTimeoutMs: config.MANAGING_CIRCUIT_PROBE_TIMEOUT_MS,
              },
              statusIntervalMs: config.MANAGING_MINER_STATUS_INTERVAL_MS,
              statusTimeoutMs: config.MANAGING_MINER_STATUS_TIMEOUT_MS,
              scoresRefreshMs: config.MANAGING_SCORES_REFRESH_MS,
              ...(overrides.random ? { random: overrides.random } : {}),
              ...(overrides.clock ? { clock: overrides.clock } : {}),
              logger,
            });
            return {
              engine,
              close: async () => {
                for (const close of closers) await close();
              },
            };
          },
        },
        { provide: MinerRegistry, ...fromEngine((engine) => engine.registry) },
        { provide: MinerHealth, ...fromEngine((engine) => engine.health) },
        { provide: MinerSelector, ...fromEngine((engine) => engine.selector) },
        { provide: MinersOverviewBuilder, ...fromEngine((engine) => engine.overview) },
        {
          provide: MetagraphSync,
          inject: [SELECTION_ENGINE, RpcClient],
          useFactory: (handle: EngineHandle, rpc: RpcClient) =>
            new MetagraphSync({
              source: overrides.metagraphSource ?? new SidecarMetagraphSource(rpc),
              registry: handle.engine.registry,
              logger,
              refreshMs: config.MANAGING_METAGRAPH_REFRESH_MS,
            }),
        },
        {
          provide: ManagingMetrics,
          inject: [ServiceMetrics, SELECTION_ENGINE],
          useFactory: (metrics: ServiceMetrics, handle: EngineHandle) =>
            new ManagingMetrics(metrics.registry, handle.engine.overview, logger),
        },
      ],
    };
  }
}
