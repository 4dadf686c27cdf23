import { MetricName } from '@vstack/observability';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What became of a sampled organic request synthesizing heard. */
export type SampleOutcome = 'stored' | 'duplicate' | 'invalid' | 'disabled';

/** The synthesizing metrics, registered on the service's registry. */
export class SynthesizingMetrics {
  readonly tasks: Counter<'task_type' | 'source'>;
  readonly queueDepth: Gauge;
  readonly backpressure: Counter;
  readonly samples: Counter<'task_type' | 'outcome'>;
  readonly samplesStored: Gauge<'task_type'>;

  constructor(registry: Registry) {
    this.tasks = new Counter({
      name: MetricName.synthesizingTasksTotal,
      help: 'Synthetic tasks added to the queue, by task type and source (generated, replayed).',
      labelNames: ['task_type', 'source'],
      registers: [registry],
    });
    this.queueDepth = new Gauge({
      name: MetricName.synthesizingQueueDepth,
      help: 'Synthetic tasks waiting in the queue at the last check.',
      registers: [registry],
    });
    this.backpressure = new Counter({
      name: MetricName.synthesizingBackpressureTotal,
      help: 'Checks that added nothing because the queue was at its maximum depth.',
      registers: [registry],
    });
    this.samples = new Counter({
      name: MetricName.synthesizingSamplesTotal,
      help: 'Sampled organic requests heard, by task type and outcome.',
      labelNames: ['task_type', 'outcome'],
      registers: [registry],
    });
    this.samplesStored = new Gauge({
      name: MetricName.synthesizingSamplesStored,
      help: 'Sampled organic requests stored, by task type, after the last retention sweep.',
      labelNames: ['task_type'],
      registers: [registry],
    });
  }
}
