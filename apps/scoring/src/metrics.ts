import { MetricName } from '@vstack/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What a score job came to, as the responses metric counts it. */
export type ResponseOutcome =
  'scored' | 'unscored_dropout' | 'unscored_not_sampled' | 'duplicate' | 'invalid';

/** The scoring metrics, registered on the service's registry. */
export class ScoringMetrics {
  /** Combined scores given, by task type and purpose. */
  readonly scores: Histogram<'task_type' | 'purpose'>;
  /** Score jobs handled, by task type and outcome. */
  readonly responses: Counter<'task_type' | 'outcome'>;
  /** Weight vectors sent to the sidecar, by netuid. */
  readonly weightsJobs: Counter<'netuid'>;

  constructor(registry: Registry) {
    this.scores = new Histogram({
      name: MetricName.scoringScore,
      help: 'Combined scores given to miner responses, by task type and purpose.',
      labelNames: ['task_type', 'purpose'],
      buckets: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers: [registry],
    });
    this.responses = new Counter({
      name: MetricName.scoringResponsesTotal,
      help: 'Score jobs handled, by task type and outcome.',
      labelNames: ['task_type', 'outcome'],
      registers: [registry],
    });
    this.weightsJobs = new Counter({
      name: MetricName.scoringWeightsJobsTotal,
      help: 'Weight vectors sent to the sidecar, by netuid.',
      labelNames: ['netuid'],
      registers: [registry],
    });
  }
}
