import { MetricName } from '@vstack/observability';
import { taskTypes } from '@vstack/protocol';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MinerCallOutcome } from './ports';

/** What became of a task, as the tasks metric counts it. */
export type TaskOutcome = 'completed' | 'failed' | 'no_miners' | 'released' | 'invalid';

/** A task type as a metric label: names from a queue are not trusted to be few, so unknown ones are one label. */
export function taskTypeLabel(taskType: string): string {
  return taskTypes.has(taskType) ? taskType : 'unknown';
}

/** Which queue a task came from. */
export type TaskPurposeLabel = 'synthetic' | 'organic';

/** The validator's metrics, registered on the service's registry. */
export class ValidatorMetrics {
  readonly tasks: Counter<'purpose' | 'task_type' | 'outcome'>;
  readonly taskDuration: Histogram<'purpose' | 'task_type' | 'outcome'>;
  readonly tasksInProgress: Gauge<'purpose'>;
  readonly minerRequests: Counter<'purpose' | 'task_type' | 'outcome'>;
  readonly minerRequestDuration: Histogram<'task_type' | 'outcome'>;
  readonly extraAttempts: Counter<'task_type' | 'kind'>;
  readonly weightsJobs: Counter<'netuid' | 'outcome'>;

  constructor(registry: Registry) {
    this.tasks = new Counter({
      name: MetricName.validatorTasksTotal,
      help: 'Tasks handled, by purpose, task type and outcome.',
      labelNames: ['purpose', 'task_type', 'outcome'],
      registers: [registry],
    });
    this.taskDuration = new Histogram({
      name: MetricName.validatorTaskDurationSeconds,
      help: 'Time from taking a task to finishing it, in seconds.',
      labelNames: ['purpose', 'task_type', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.tasksInProgress = new Gauge({
      name: MetricName.validatorTasksInProgress,
      help: 'Tasks being handled now, by purpose.',
      labelNames: ['purpose'],
      registers: [registry],
    });
    this.minerRequests = new Counter({
      name: MetricName.validatorMinerRequestsTotal,
      help: 'Requests to miners, by purpose, task type and outcome.',
      labelNames: ['purpose', 'task_type', 'outcome'],
      registers: [registry],
    });
    this.minerRequestDuration = new Histogram({
      name: MetricName.validatorMinerRequestDurationSeconds,
      help: 'One request to a miner, from sending it to the whole answer, in seconds.',
      labelNames: ['task_type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.extraAttempts = new Counter({
      name: MetricName.validatorOrganicExtraAttemptsTotal,
      help: 'Organic attempts beyond the first, by task type and kind (hedge, retry).',
      labelNames: ['task_type', 'kind'],
      registers: [registry],
    });
    this.weightsJobs = new Counter({
      name: MetricName.validatorWeightsJobsTotal,
      help: 'Weights jobs on epoch events, by netuid and outcome (enqueued, empty, failed).',
      labelNames: ['netuid', 'outcome'],
      registers: [registry],
    });
  }

  /** Records one miner call. */
  minerCall(purpose: TaskPurposeLabel, taskType: string, outcome: MinerCallOutcome, latencyMs: number): void {
    this.minerRequests.inc({ purpose, task_type: taskType, outcome });
    if (outcome !== 'cancelled') {
      this.minerRequestDuration.observe({ task_type: taskType, outcome }, latencyMs / 1_000);
    }
  }

  /** Records a finished task. */
  task(purpose: TaskPurposeLabel, taskType: string, outcome: TaskOutcome, durationMs: number): void {
    const labels = { purpose, task_type: taskTypeLabel(taskType), outcome };
    this.tasks.inc(labels);
    this.taskDuration.observe(labels, durationMs / 1_000);
  }
}
