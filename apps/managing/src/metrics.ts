import { errorMessage } from '@vstack/contracts';
import { type Logger, MetricName } from '@vstack/observability';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MinersOverviewBuilder } from './api/miners-overview';
import type { CircuitState } from './health/miner-health';
import type { SelectionResult } from './selection/miner-selector';

const circuitValue: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** How a selection ended, for the selections counter. */
export type SelectionOutcome = 'full' | 'partial' | 'empty' | 'error';

/** managing's own metrics: selections by outcome, reports, and per-miner quota and circuit gauges. */
export class ManagingMetrics {
  private readonly selections: Counter<'purpose' | 'outcome' | 'reason'>;
  private readonly reports: Counter<'outcome'>;

  constructor(registry: Registry, overview: MinersOverviewBuilder, logger: Logger) {
    this.selections = new Counter({
      name: MetricName.managingSelectionsTotal,
      help: 'Miner selections answered, by purpose, outcome (full, partial, empty, error) and reason code.',
      labelNames: ['purpose', 'outcome', 'reason'],
      registers: [registry],
    });
    this.reports = new Counter({
      name: MetricName.managingReportsTotal,
      help: 'Calls to miners the validator reported, by outcome (ok, failed, unknown_miner).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    // The gauges are filled at scrape time from one overview, so they always describe the current registry.
    let pending: ReturnType<MinersOverviewBuilder['build']> | undefined;
    const current = () => {
      pending ??= overview.build().finally(() => {
        pending = undefined;
      });
      return pending;
    };
    new Gauge({
      name: MetricName.managingMinerQuota,
      help: "This validator's quota on each miner in the current window: limit, used, left, synthetic_limit, synthetic_used.",
      labelNames: ['uid', 'hotkey', 'kind'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const miner of (await current()).miners) {
            const labels = { uid: String(miner.uid), hotkey: miner.hotkey };
            this.set({ ...labels, kind: 'limit' }, miner.quota.limit);
            this.set({ ...labels, kind: 'used' }, miner.quota.used);
            this.set({ ...labels, kind: 'left' }, miner.quota.left);
            this.set({ ...labels, kind: 'synthetic_limit' }, miner.quota.synthetic.limit);
            this.set({ ...labels, kind: 'synthetic_used' }, miner.quota.synthetic.used);
          }
        } catch (error) {
          logger.debug(`metrics: no quota gauges: ${errorMessage(error)}`);
        }
      },
    });
    new Gauge({
      name: MetricName.managingMinerCircuitState,
      help: "Each miner's circuit: 0 closed, 1 half-open, 2 open.",
      labelNames: ['uid', 'hotkey'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const miner of (await current()).miners) {
            this.set({ uid: String(miner.uid), hotkey: miner.hotkey }, circuitValue[miner.health.circuit]);
          }
        } catch (error) {
          logger.debug(`metrics: no circuit gauges: ${errorMessage(error)}`);
        }
      },
    });
    new Gauge({
      name: MetricName.managingMetagraphBlock,
      help: 'Block of the metagraph the miner registry holds.',
      registers: [registry],
      async collect() {
        try {
          this.set((await current()).block);
        } catch {
          this.reset();
        }
      },
    });
  }

  /** Counts one answered selection. */
  selection(purpose: string, result: SelectionResult, asked: number): void {
    const outcome: SelectionOutcome =
      result.miners.length >= asked ? 'full' : result.miners.length > 0 ? 'partial' : 'empty';
    this.selections.inc({ purpose, outcome, reason: result.reasonCode ?? 'none' });
  }

  /** Counts a selection that failed (Redis away). */
  selectionFailed(purpose: string, code: string): void {
    this.selections.inc({ purpose, outcome: 'error', reason: code });
  }

  /** Counts one report. */
  report(outcome: 'ok' | 'failed' | 'unknown_miner'): void {
    this.reports.inc({ outcome });
  }
}
