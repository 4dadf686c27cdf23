import { MetricName, type ServiceMetrics } from '@vstack/observability';
import { Counter, Histogram } from 'prom-client';
import type { LedgerKind } from './keys/key-store';

/** How one webhook delivery attempt ended. */
export type WebhookOutcome = 'delivered' | 'retrying' | 'gave_up';

/** The gateway's metrics on the service's registry: tasks, refusals, credits and webhooks. */
export class GatewayMetrics {
  private readonly accepted: Counter<'task_type' | 'priority'>;
  private readonly finished: Counter<'task_type' | 'status'>;
  private readonly duration: Histogram<'task_type' | 'status'>;
  private readonly refusals: Counter<'code'>;
  private readonly credits: Counter<'movement'>;
  private readonly webhooks: Counter<'outcome'>;

  constructor(metrics: ServiceMetrics) {
    const registers = [metrics.registry];
    this.accepted = new Counter({
      name: MetricName.gatewayTasksAcceptedTotal,
      help: 'Tasks accepted (price held, job queued), by task type and priority.',
      labelNames: ['task_type', 'priority'],
      registers,
    });
    this.finished = new Counter({
      name: MetricName.gatewayTasksFinishedTotal,
      help: 'Tasks that reached a final state, by task type and status.',
      labelNames: ['task_type', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: MetricName.gatewayTaskDurationSeconds,
      help: 'Seconds from a task being accepted to its final state, by task type and status.',
      labelNames: ['task_type', 'status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers,
    });
    this.refusals = new Counter({
      name: MetricName.gatewayRefusalsTotal,
      help: 'Requests refused, by the error code of the answer.',
      labelNames: ['code'],
      registers,
    });
    this.credits = new Counter({
      name: MetricName.gatewayCreditsTotal,
      help: 'Credits moved, by ledger movement (grant, hold, release, debit).',
      labelNames: ['movement'],
      registers,
    });
    this.webhooks = new Counter({
      name: MetricName.gatewayWebhookDeliveriesTotal,
      help: 'Webhook delivery attempts, by outcome (delivered, retrying, gave_up).',
      labelNames: ['outcome'],
      registers,
    });
  }

  taskAccepted(taskType: string, priority: string, price: number): void {
    this.accepted.inc({ task_type: taskType, priority });
    this.credits.inc({ movement: 'hold' }, price);
  }

  taskFinished(taskType: string, status: string, seconds: number, price: number): void {
    this.finished.inc({ task_type: taskType, status });
    this.duration.observe({ task_type: taskType, status }, Math.max(0, seconds));
    this.credits.inc({ movement: 'release' }, price);
    if (status === 'COMPLETED') this.credits.inc({ movement: 'debit' }, price);
  }

  refused(code: string): void {
    this.refusals.inc({ code });
  }

  credited(movement: LedgerKind, amount: number): void {
    this.credits.inc({ movement }, Math.abs(amount));
  }

  webhook(outcome: WebhookOutcome): void {
    this.webhooks.inc({ outcome });
  }
}
