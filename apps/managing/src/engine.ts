import type { TaskPurpose } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { type RandomSource, TaskTypeName } from '@vstack/protocol';
import { MinersOverviewBuilder } from './api/miners-overview';
import { type CircuitRules, MinerHealth } from './health/miner-health';
import type { QuotaCounters } from './quota/quota-counters';
import { QuotaLedger } from './quota/quota-ledger';
import type { CapacityRules, EligibilityRules } from './quota/quota-policy';
import { MinerDeclarations, type MinerStatusReader } from './registry/miner-declarations';
import { MinerRegistry } from './registry/miner-registry';
import { ScoreBook, type ScoresSource } from './scores/score-book';
import { MinerSelector } from './selection/miner-selector';

export * from './quota/quota-counters';
export { MinerSelector } from './selection/miner-selector';

/** Everything selection needs, wired together; the service's module and the benchmark build it the same way. */
export interface SelectionEngine {
  registry: MinerRegistry;
  declarations: MinerDeclarations;
  health: MinerHealth;
  ledger: QuotaLedger;
  scores: ScoreBook;
  selector: MinerSelector;
  overview: MinersOverviewBuilder;
}

export interface SelectionEngineOptions {
  netuid: number;
  validatorHotkey: string;
  counters: QuotaCounters;
  /** Prefix of the counter keys, e.g. `vstack:managing:quota`. */
  keyPrefix: string;
  windowMs: number;
  statusReader: MinerStatusReader;
  scoresSource: ScoresSource;
  eligibility?: EligibilityRules;
  capacity?: CapacityRules;
  syntheticShare?: number;
  topFraction?: Record<TaskPurpose, number>;
  circuit?: CircuitRules;
  statusIntervalMs?: number;
  statusTimeoutMs?: number;
  scoresRefreshMs?: number;
  random?: RandomSource;
  clock?: () => number;
  logger: Logger;
}

/** The defaults of managing's configuration, for callers that leave a rule out. */
export const engineDefaults = {
  eligibility: { minValidatorStake: 0n, requireValidatorPermit: true },
  capacity: { defaultCapacity: 256, minCapacity: 16, maxCapacity: 4096 },
  syntheticShare: 0.3,
  topFraction: { synthetic: 1, organic: 0.5 },
  circuit: { failureThreshold: 5, openMs: 30_000, maxOpenMs: 600_000, probeTimeoutMs: 60_000 },
} as const;

/** Builds the registry, declarations, health, quota ledger, scores, selector and overview over one set of rules. */
export function createSelectionEngine(options: SelectionEngineOptions): SelectionEngine {
  const clock = options.clock ?? Date.now;
  const { logger } = options;
  const syntheticShare = options.syntheticShare ?? engineDefaults.syntheticShare;
  const registry = new MinerRegistry({
    netuid: options.netuid,
    validatorHotkey: options.validatorHotkey,
    ...(options.eligibility ?? engineDefaults.eligibility),
    clock,
  });
  const declarations = new MinerDeclarations({
    reader: options.statusReader,
    capacity: options.capacity ?? engineDefaults.capacity,
    defaultTaskTypes: Object.values(TaskTypeName),
    intervalMs: options.statusIntervalMs ?? 300_000,
    timeoutMs: options.statusTimeoutMs ?? 2_000,
    logger,
    clock,
  });
  const health = new MinerHealth(options.circuit ?? engineDefaults.circuit, clock);
  const ledger = new QuotaLedger({
    counters: options.counters,
    keyPrefix: options.keyPrefix,
    netuid: options.netuid,
    windowMs: options.windowMs,
    clock,
  });
  const scores = new ScoreBook({
    source: options.scoresSource,
    refreshMs: options.scoresRefreshMs ?? 30_000,
    logger,
    clock,
  });
  const selector = new MinerSelector({
    registry,
    declarations,
    health,
    ledger,
    scores,
    rules: { syntheticShare, topFraction: options.topFraction ?? engineDefaults.topFraction },
    random: options.random ?? Math.random,
    clock,
  });
  const overview = new MinersOverviewBuilder({
    registry,
    declarations,
    health,
    ledger,
    scores,
    syntheticShare,
    clock,
  });
  // A uid that changes hotkey is a new miner: what was known about the old one goes.
  registry.onChange(({ removed }) => {
    for (const miner of removed) {
      health.forget(miner.key);
      declarations.forget(miner.key);
    }
  });
  return { registry, declarations, health, ledger, scores, selector, overview };
}
