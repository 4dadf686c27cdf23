import { MetricName } from '@vstack/observability';
import { Histogram, type Registry } from 'prom-client';

/** The extrinsic an attempt sends. */
export type WeightsOperation = 'set' | 'commit' | 'reveal';
export type WeightsAttemptOutcome = 'ok' | 'rate_limited' | 'error' | 'timeout';
export type WeightsJobOutcome = 'succeeded' | 'expired' | 'cancelled' | 'failed';

/** What the weights jobs report; an interface so tests can count without a registry. */
export interface WeightsMetricsSink {
  attempt(operation: WeightsOperation, outcome: WeightsAttemptOutcome, seconds: number): void;
  jobFinished(outcome: WeightsJobOutcome, seconds: number): void;
}

function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
  buckets: number[],
): Histogram<L> {
  return (
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram({ name, help, labelNames, buckets, registers: [registry] })
  );
}

/** The weights histograms in the service's registry. */
export class WeightsMetrics implements WeightsMetricsSink {
  readonly #jobs: Histogram<'outcome'>;
  readonly #attempts: Histogram<'operation' | 'outcome'>;

  constructor(registry: Registry) {
    this.#jobs = histogram(
      registry,
      MetricName.weightsJobDurationSeconds,
      'Weights jobs from scheduled to their final state, in seconds, by outcome.',
      ['outcome'],
      [1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600],
    );
    this.#attempts = histogram(
      registry,
      MetricName.weightsAttemptDurationSeconds,
      'Attempts to put weights on chain (set, commit, reveal), in seconds, by operation and outcome.',
      ['operation', 'outcome'],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
    );
  }

  attempt(operation: WeightsOperation, outcome: WeightsAttemptOutcome, seconds: number): void {
    this.#attempts.observe({ operation, outcome }, seconds);
  }

  jobFinished(outcome: WeightsJobOutcome, seconds: number): void {
    this.#jobs.observe({ outcome }, seconds);
  }
}
