import type { Axon } from '@vstack/contracts';
import type { CircuitState, MinerHealth } from '../health/miner-health';
import { ManagingError, ManagingErrorCode } from '../errors';
import type { QuotaLedger } from '../quota/quota-ledger';
import { quotaFor, remainingFor, syntheticLimitFor } from '../quota/quota-policy';
import type { MinerDeclarations } from '../registry/miner-declarations';
import type { MinerRegistry } from '../registry/miner-registry';
import type { ScoreBook } from '../scores/score-book';

/** One miner as `GET /miners` shows it. */
export interface MinerOverview {
  uid: number;
  hotkey: string;
  axon: Axon;
  capacity: { value: number; declared: boolean };
  taskTypes: { names: readonly string[]; declared: boolean };
  /** The last read of the miner's GET /status. */
  status: { readAt: string | null; error: string | null };
  quota: {
    limit: number;
    used: number;
    left: number;
    synthetic: { limit: number; used: number; left: number };
  };
  health: {
    circuit: CircuitState;
    consecutiveFailures: number;
    openUntil: string | null;
    successes: number;
    failures: number;
    latencyMs: number | null;
  };
  /** Score per task type, for the task types scoring has answered for. */
  scores: Record<string, number>;
}

/** What `GET /miners` answers. */
export interface MinersOverview {
  netuid: number;
  block: number;
  readAt: string;
  window: { index: number; startsAt: string; endsAt: string; seconds: number };
  validator: {
    hotkey: string;
    uid: number | null;
    /** rao, as a decimal string. */
    stake: string;
    validatorPermit: boolean;
    eligible: boolean;
    /** This validator's share of every miner's capacity (stake / Σ eligible stake). */
    share: number;
    eligibleValidators: number;
  };
  miners: MinerOverview[];
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

export interface MinersOverviewOptions {
  registry: MinerRegistry;
  declarations: MinerDeclarations;
  health: MinerHealth;
  ledger: QuotaLedger;
  scores: Pick<ScoreBook, 'known'>;
  syntheticShare: number;
  clock?: () => number;
}

/** Builds the view of every miner: quota used and left in this window, health, declaration and scores. */
export class MinersOverviewBuilder {
  private readonly clock: () => number;

  constructor(private readonly options: MinersOverviewOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The overview now; throws ManagingError `metagraph_unavailable` before the first metagraph. */
  async build(): Promise<MinersOverview> {
    const { registry, declarations, health, ledger, scores, syntheticShare } = this.options;
    const snapshot = registry.snapshot();
    if (!snapshot) {
      throw new ManagingError(
        ManagingErrorCode.MetagraphUnavailable,
        'the metagraph has not been read from the sidecar yet',
      );
    }
    const now = this.clock();
    const window = ledger.window(now);
    const usage = await ledger.usage(
      snapshot.miners.map((miner) => miner.key),
      now,
    );
    const known = scores.known();
    const { validator } = snapshot;
    const share =
      !validator.eligible || validator.totalEligibleStake === 0n
        ? 0
        : Number((validator.stake * 1_000_000n) / validator.totalEligibleStake) / 1_000_000;
    return {
      netuid: snapshot.netuid,
      block: snapshot.block,
      readAt: new Date(snapshot.readAt).toISOString(),
      window: {
        index: window.index,
        startsAt: new Date(window.startsAt).toISOString(),
        endsAt: new Date(window.endsAt).toISOString(),
        seconds: ledger.windowMs / 1000,
      },
      validator: {
        hotkey: validator.hotkey,
        uid: validator.uid ?? null,
        stake: validator.stake.toString(),
        validatorPermit: validator.validatorPermit,
        eligible: validator.eligible,
        share,
        eligibleValidators: validator.eligibleValidators,
      },
      miners: snapshot.miners.map((miner): MinerOverview => {
        const declaration = declarations.of(miner);
        const limit = quotaFor(declaration.capacity, validator);
        const syntheticLimit = syntheticLimitFor(limit, syntheticShare);
        const used = usage.get(miner.key) ?? { total: 0, synthetic: 0 };
        const circuit = health.view(miner.key, now);
        const minerScores: Record<string, number> = {};
        for (const [taskType, view] of known) minerScores[taskType] = view.of(miner);
        return {
          uid: miner.uid,
          hotkey: miner.hotkey,
          axon: miner.axon,
          capacity: { value: declaration.capacity, declared: declaration.capacityDeclared },
          taskTypes: { names: declaration.taskTypes, declared: declaration.taskTypesDeclared },
          status: { readAt: iso(declaration.readAt), error: declaration.error ?? null },
          quota: {
            limit,
            used: used.total,
            left: remainingFor('organic', limit, syntheticLimit, used),
            synthetic: {
              limit: syntheticLimit,
              used: used.synthetic,
              left: remainingFor('synthetic', limit, syntheticLimit, used),
            },
          },
          health: {
            circuit: circuit.state,
            consecutiveFailures: circuit.consecutiveFailures,
            openUntil: circuit.state === 'closed' ? null : iso(circuit.openUntil),
            successes: circuit.successes,
            failures: circuit.failures,
            latencyMs: circuit.latencyMs === undefined ? null : Math.round(circuit.latencyMs * 10) / 10,
          },
          scores: minerScores,
        };
      }),
    };
  }
}
