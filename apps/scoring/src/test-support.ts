import { parseConfig, scoringConfigSchema } from '@vstack/config';
import { createLogger, type Logger } from '@vstack/observability';
import {
  type AddedJob,
  type AddJobOptions,
  jobDefinitions,
  type JobName,
  type JobOf,
  type JobSender,
} from '@vstack/queues';
import { Registry } from 'prom-client';
import { ScoringMetrics } from './metrics';
import type { ChainView, SubnetNeuron, WeightRules } from './ports';
import { type ScoringSettings, scoringSettings } from './settings';

/** Settings from scoring variables, on top of the defaults. */
export function settingsFor(env: Record<string, string> = {}): ScoringSettings {
  return scoringSettings(parseConfig('scoring', scoringConfigSchema, env));
}

/** A logger that writes nowhere. */
export function silentLogger(): Logger {
  return createLogger({ service: 'scoring', level: 'silent', format: 'json' });
}

/** Metrics on a registry of their own, read back with `valueOf`. */
export function testMetrics(): { metrics: ScoringMetrics; registry: Registry } {
  const registry = new Registry();
  return { metrics: new ScoringMetrics(registry), registry };
}

/** A counter's value, or a histogram's count, summed over the series with these labels (0 when none). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  // A histogram's series carry their own names (`_bucket`, `_sum`, `_count`); a counter's carry none.
  const values = (metric?.values ?? []) as {
    value: number;
    labels: Record<string, unknown>;
    metricName?: string;
  }[];
  const matches = values.filter(
    (value) =>
      Object.entries(labels).every(([key, label]) => value.labels[key] === label) &&
      (value.metricName === undefined || value.metricName === `${name}_count`),
  );
  return matches.reduce((sum, value) => sum + value.value, 0);
}

/** Jobs added, kept in memory; a repeated job id is a no-op, as in BullMQ. */
export class RecordingJobSender implements JobSender {
  readonly jobs = new Map<string, { name: JobName; payload: unknown }>();

  add<T extends JobName>(name: T, payload: JobOf<T>, options: AddJobOptions): Promise<AddedJob> {
    if (!this.jobs.has(options.jobId)) this.jobs.set(options.jobId, { name, payload });
    return Promise.resolve({ queue: jobDefinitions[name].queue, name, jobId: options.jobId });
  }
}

/** A metagraph and its weight rules, as the sidecar would serve them. */
export class StaticChainView implements ChainView {
  constructor(
    public neuronList: SubnetNeuron[],
    public rules: WeightRules = { maxWeightsLimit: 65_535, minAllowedWeights: 0 },
  ) {}

  neurons(): Promise<SubnetNeuron[]> {
    return Promise.resolve(this.neuronList);
  }

  weightRules(): Promise<WeightRules> {
    return Promise.resolve(this.rules);
  }
}
