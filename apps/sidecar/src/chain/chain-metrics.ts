import type { ArchiveFallbackReason, ChainConnection } from '@vstack/chain';
import { MetricName } from '@vstack/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

type OperationLabels = 'operation' | 'status';

/** The archive fallback reasons as the metric names them. */
const fallbackReason: Record<ArchiveFallbackReason, string> = {
  depth: 'cutoff',
  discarded: 'unknown_block',
};

/**
 * The sidecar's chain metrics: how long chain operations take and how often reads fall back to the archive
 * node. Created once per registry (the read and weights sides share them).
 */
export class ChainMetrics {
  readonly operationDuration: Histogram<OperationLabels>;
  readonly archiveFallbacks: Counter<'reason'>;

  constructor(registry: Registry) {
    this.operationDuration =
      (registry.getSingleMetric(MetricName.chainOperationDurationSeconds) as
        Histogram<OperationLabels> | undefined) ??
      new Histogram({
        name: MetricName.chainOperationDurationSeconds,
        help: 'Duration of chain operations in seconds, by operation and outcome (ok, error).',
        labelNames: ['operation', 'status'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      });
    this.archiveFallbacks =
      (registry.getSingleMetric(MetricName.chainArchiveFallbacksTotal) as Counter<'reason'> | undefined) ??
      new Counter({
        name: MetricName.chainArchiveFallbacksTotal,
        help: 'Reads the archive node served instead of the main node, by reason (cutoff, unknown_block).',
        labelNames: ['reason'],
        registers: [registry],
      });
  }

  /** Runs a chain operation and records its duration with `status` ok or error. */
  async time<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const stop = this.operationDuration.startTimer({ operation });
    try {
      const result = await run();
      stop({ status: 'ok' });
      return result;
    } catch (error) {
      stop({ status: 'error' });
      throw error;
    }
  }

  /** Counts every archive fallback of the connection. */
  countFallbacks(connection: Pick<ChainConnection, 'on'>): void {
    connection.on('archive-fallback', (fallback) => {
      this.archiveFallbacks.inc({ reason: fallbackReason[fallback.reason] });
    });
  }
}
