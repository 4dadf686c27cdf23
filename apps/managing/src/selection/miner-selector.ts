import { SelectionReasonCode, type TaskPurpose } from '@vstack/contracts';
import type { RandomSource } from '@vstack/protocol';
import type { MinerHealth } from '../health/miner-health';
import type { QuotaLedger } from '../quota/quota-ledger';
import { quotaFor, remainingFor, syntheticLimitFor } from '../quota/quota-policy';
import type { MinerDeclarations } from '../registry/miner-declarations';
import type { Miner, MinerRegistry, RegistrySnapshot } from '../registry/miner-registry';
import type { ScoreBook } from '../scores/score-book';
import { sampleWithoutReplacement, topFraction } from './sampling';

/** What the validator asks for. */
export interface SelectionRequest {
  taskType: string;
  count: number;
  purpose: TaskPurpose;
}

/** The miners picked (their quota already taken) and, when fewer than asked, why. */
export interface SelectionResult {
  miners: Miner[];
  reasonCode?: SelectionReasonCode;
  reason?: string;
}

export interface SelectionRules {
  /** Share of each quota synthetic work may use. */
  syntheticShare: number;
  /** Top fraction of available miners by score that each purpose samples from. */
  topFraction: Record<TaskPurpose, number>;
}

export interface MinerSelectorOptions {
  registry: MinerRegistry;
  declarations: Pick<MinerDeclarations, 'capacityOf' | 'serves' | 'version'>;
  health: MinerHealth;
  ledger: QuotaLedger;
  scores: Pick<ScoreBook, 'scoresFor'>;
  rules: SelectionRules;
  random: RandomSource;
  clock?: () => number;
}

interface Candidate {
  miner: Miner;
  quota: number;
  syntheticLimit: number;
  remaining: number;
  score: number;
}

// Each round either fills the request or removes every miner it drew, so a few rounds settle any contention.
const MAX_ROUNDS = 4;

/**
 * Picks miners for a task: those that serve the task type and whose circuit lets calls through, with quota left
 * for the purpose; keeps the top fraction of them by score; samples without replacement with probability
 * proportional to the quota left (× score for organic work); and takes one request from each pick's quota
 * atomically in Redis. A pick whose quota another selection took first is replaced by another draw.
 */
export class MinerSelector {
  private readonly clock: () => number;
  /** Each miner's keys, and quota and synthetic limit by capacity: the same for every selection on a snapshot. */
  private readonly perSnapshot = new WeakMap<
    RegistrySnapshot,
    { keys: string[]; limits: Map<number, { quota: number; syntheticLimit: number }> }
  >();
  /** The miners serving each task type, until the registry or a declaration changes. */
  private readonly serving = new Map<
    string,
    { snapshot: RegistrySnapshot; version: number; miners: readonly Miner[] }
  >();

  constructor(private readonly options: MinerSelectorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async select(request: SelectionRequest): Promise<SelectionResult> {
    const { registry, declarations, health, ledger, scores, rules, random } = this.options;
    const { taskType, count, purpose } = request;
    const now = this.clock();
    const snapshot = registry.snapshot();
    if (!snapshot) {
      return short(SelectionReasonCode.NoMetagraph, 'the metagraph has not been read from the sidecar yet');
    }
    const { validator } = snapshot;
    if (!validator.eligible) {
      const why =
        validator.uid === undefined
          ? `validator ${validator.hotkey} is not registered on subnet ${snapshot.netuid}`
          : `validator ${validator.hotkey} does not share in miner capacity (stake ${validator.stake} rao, permit ${validator.validatorPermit})`;
      return short(SelectionReasonCode.ValidatorNotEligible, why);
    }
    const serving = this.servingMiners(snapshot, taskType);
    if (serving.length === 0) {
      return short(SelectionReasonCode.TaskTypeNotServed, `no miner serves ${taskType}`);
    }
    const healthy = health.anyNotClosed
      ? serving.filter((miner) => health.isSelectable(miner.key, now))
      : serving;
    if (healthy.length === 0) {
      return short(
        SelectionReasonCode.MinersUnhealthy,
        `all ${serving.length} miners serving ${taskType} are failing (circuit open)`,
      );
    }
    const usageOf = await ledger.lookup(this.minerKeys(snapshot), now);
    const view = scores.scoresFor(taskType);
    const limits = this.limitsFor(snapshot);
    const available: Candidate[] = [];
    for (const miner of healthy) {
      const { quota, syntheticLimit } = limits(declarations.capacityOf(miner));
      const remaining = remainingFor(purpose, quota, syntheticLimit, usageOf(miner.key));
      if (remaining > 0) available.push({ miner, quota, syntheticLimit, remaining, score: view.of(miner) });
    }
    if (available.length === 0) {
      return short(
        SelectionReasonCode.QuotaExhausted,
        `the ${purpose} quota on all ${healthy.length} miners serving ${taskType} is used up in this window`,
      );
    }
    // Uniform scores are all tied: the cut keeps every miner.
    const eligible = view.uniform
      ? available
      : topFraction(available, (candidate) => candidate.score, rules.topFraction[purpose]);
    const weightOf =
      purpose === 'organic' && !view.uniform
        ? (candidate: Candidate) => candidate.remaining * candidate.score
        : (candidate: Candidate) => candidate.remaining;

    const picked: Miner[] = [];
    let pool = eligible;
    for (let round = 0; round < MAX_ROUNDS && picked.length < count; round++) {
      // Another selection may have taken a half-open miner's single probe while this one waited on Redis.
      if (health.anyNotClosed)
        pool = pool.filter((candidate) => health.isSelectable(candidate.miner.key, now));
      if (pool.length === 0) break;
      const draws = sampleWithoutReplacement(pool, weightOf, count - picked.length, random);
      for (const draw of draws) health.selected(draw.miner.key, now);
      let granted: boolean[];
      try {
        granted = await ledger.consume(
          draws.map((draw) => ({
            minerKey: draw.miner.key,
            quota: draw.quota,
            syntheticLimit: draw.syntheticLimit,
          })),
          purpose,
          now,
        );
      } catch (error) {
        for (const draw of draws) health.unselected(draw.miner.key, now);
        throw error;
      }
      draws.forEach((draw, i) => {
        if (granted[i]) picked.push(draw.miner);
        else health.unselected(draw.miner.key, now);
      });
      if (picked.length >= count) break;
      const drawn = new Set(draws);
      pool = pool.filter((candidate) => !drawn.has(candidate));
    }

    if (picked.length >= count) return { miners: picked };
    const got = `${picked.length} of ${count} miners for ${taskType}`;
    let reasonCode: SelectionReasonCode;
    let reason: string;
    if (serving.length < count) {
      reasonCode = SelectionReasonCode.TaskTypeNotServed;
      reason = `${got}: only ${serving.length} ${serving.length === 1 ? 'serves' : 'serve'} it`;
    } else if (healthy.length < count) {
      reasonCode = SelectionReasonCode.MinersUnhealthy;
      reason = `${got}: ${serving.length - healthy.length} of the ${serving.length} serving it are failing`;
    } else if (available.length < count) {
      reasonCode = SelectionReasonCode.QuotaExhausted;
      reason = `${got}: the ${purpose} quota on the others is used up in this window`;
    } else if (eligible.length < count) {
      reasonCode = SelectionReasonCode.ScoreCutoff;
      reason = `${got}: only ${eligible.length} are in the top ${rules.topFraction[purpose]} by score`;
    } else {
      reasonCode = SelectionReasonCode.QuotaExhausted;
      reason = `${got}: other selections took the rest of the ${purpose} quota`;
    }
    return { miners: picked, reasonCode, reason };
  }

  private cached(snapshot: RegistrySnapshot) {
    let entry = this.perSnapshot.get(snapshot);
    if (!entry) {
      entry = { keys: snapshot.miners.map((miner) => miner.key), limits: new Map() };
      this.perSnapshot.set(snapshot, entry);
    }
    return entry;
  }

  private minerKeys(snapshot: RegistrySnapshot): string[] {
    return this.cached(snapshot).keys;
  }

  private limitsFor(
    snapshot: RegistrySnapshot,
  ): (capacity: number) => { quota: number; syntheticLimit: number } {
    const { limits } = this.cached(snapshot);
    const share = this.options.rules.syntheticShare;
    return (capacity) => {
      let limit = limits.get(capacity);
      if (!limit) {
        const quota = quotaFor(capacity, snapshot.validator);
        limit = { quota, syntheticLimit: syntheticLimitFor(quota, share) };
        limits.set(capacity, limit);
      }
      return limit;
    };
  }

  /** The miners that serve a task type, kept until the registry or a declaration changes. */
  private servingMiners(snapshot: RegistrySnapshot, taskType: string): readonly Miner[] {
    const { declarations } = this.options;
    const cached = this.serving.get(taskType);
    if (cached?.snapshot === snapshot && cached.version === declarations.version) return cached.miners;
    const miners = snapshot.miners.filter((miner) => declarations.serves(miner, taskType));
    // Task types are the validator's; a bound keeps a stream of odd names from growing the cache.
    if (this.serving.size >= 64) this.serving.clear();
    this.serving.set(taskType, { snapshot, version: declarations.version, miners });
    return miners;
  }
}

function short(reasonCode: SelectionReasonCode, reason: string): SelectionResult {
  return { miners: [], reasonCode, reason };
}
