import { MetricName } from '@vstack/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueName } from './jobs';

/** How one run of a job ended: done, failed with attempts left, failed for good, or refused as unprocessable. */
export type JobRunOutcome = 'completed' | 'retried' | 'failed' | 'invalid';

/** The queue states the depth gauge reports; finished jobs are left out (retention decides their count). */
export const queueDepthStates = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
export type QueueDepthState = (typeof queueDepthStates)[number];

/** Reads a queue's job counts per state; a BullMQ Queue's `getJobCounts` fits. */
export type JobCountReader = (...states: QueueDepthState[]) => Promise<Record<string, number>>;

const byRegistry = new WeakMap<Registry, QueueMetrics>();

/**
 * Queue metrics of one service: job runs and their durations, counted by the workers as they finish them, and the
 * depth of every queue the service works on, read from Redis when Prometheus scrapes (so an idle service still
 * reports a backlog). One instance per registry: every worker of a service shares it.
 */
export class QueueMetrics {
  readonly runs: Counter<'queue' | 'job' | 'outcome'>;
  readonly runDuration: Histogram<'queue' | 'job' | 'outcome'>;
  private readonly readers = new Map<QueueName, JobCountReader>();

  private constructor(registry: Registry) {
    this.runs = new Counter({
      name: MetricName.queueJobRunsTotal,
      help: 'Job runs finished by this service, by queue, job name and outcome.',
      labelNames: ['queue', 'job', 'outcome'],
      registers: [registry],
    });
    this.runDuration = new Histogram({
      name: MetricName.queueJobRunDurationSeconds,
      help: 'Duration of one job run in seconds, from taking the job to its outcome.',
      labelNames: ['queue', 'job', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    const readers = this.readers;
    new Gauge({
      name: MetricName.queueJobs,
      help: 'Jobs in each queue this service works on, by state, read from Redis at scrape time.',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        const entries = [...readers.entries()];
        const counts = await Promise.all(
          // A scrape must not fail because Redis is away: that queue's depth is left out of this scrape.
          entries.map(([, read]) => read(...queueDepthStates).catch(() => undefined)),
        );
        entries.forEach(([queue], index) => {
          const count = counts[index];
          if (!count) return;
          for (const state of queueDepthStates) this.set({ queue, state }, count[state] ?? 0);
        });
      },
    });
  }

  /** The queue metrics registered in `registry`, created on first use. */
  static of(registry: Registry): QueueMetrics {
    let metrics = byRegistry.get(registry);
    if (!metrics) {
      metrics = new QueueMetrics(registry);
      byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  /** Reports `queue`'s depth from `read` until the returned function is called. */
  watch(queue: QueueName, read: JobCountReader): () => void {
    this.readers.set(queue, read);
    return () => {
      if (this.readers.get(queue) === read) this.readers.delete(queue);
    };
  }

  /** Counts one finished run. */
  recordRun(queue: QueueName, job: string, outcome: JobRunOutcome, seconds: number): void {
    const labels = { queue, job, outcome };
    this.runs.inc(labels);
    this.runDuration.observe(labels, seconds);
  }
}
