import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { GatewayMetrics } from '../gateway-metrics';
import { CLOCK, type Clock, GATEWAY_SETTINGS, TASK_STORE, WEBHOOK_TRANSPORT } from '../ports';
import type { GatewaySettings } from '../settings';
import type { TaskView } from '../tasks/dto';
import type { TaskStore } from '../tasks/task-store';
import { toTaskView } from '../tasks/task-view';
import { SIGNATURE_HEADER, signWebhook, webhookSecretFor } from './signature';

/** Sends one HTTP POST; resolves with the status, rejects when no answer came (refused, timed out). */
export interface WebhookTransport {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number>;
}

/** The transport of the running gateway: fetch, no redirects followed, the answer's body discarded. */
export const fetchWebhookTransport: WebhookTransport = {
  async post(url, headers, body, timeoutMs) {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status;
  },
};

/**
 * The body of a webhook: what happened and the task as GET /v1/tasks/{id} shows it, without the state of its
 * webhook (so every attempt sends the same task).
 */
export interface WebhookBody {
  event: 'task.completed' | 'task.failed';
  task: Omit<TaskView, 'webhook'>;
}

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : 'an invalid URL';
}

/**
 * Delivers a finished task to its callback URL, signed with its key's webhook secret. A delivery that gets no 2xx
 * throws, so the job is retried with backoff; after the last attempt the task's webhook is marked failed.
 */
@Injectable()
export class WebhookService {
  constructor(
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(WEBHOOK_TRANSPORT) private readonly transport: WebhookTransport,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  async deliver(taskId: string, attempt: number, maxAttempts: number): Promise<void> {
    const task = await this.store.getTask(taskId);
    if (!task?.callbackUrl || task.webhookStatus !== 'pending') return;
    if (task.status !== 'COMPLETED' && task.status !== 'FAILED') return;
    const masterSecret = this.settings.webhookSecret;
    if (masterSecret === undefined) {
      await this.store.setWebhookStatus(task.id, 'failed', attempt, new Date(this.clock.now()));
      this.logger.warn({ taskId }, 'GATEWAY_WEBHOOK_SECRET is unset: a webhook was dropped');
      return;
    }
    const view: Partial<TaskView> = toTaskView(task);
    delete view.webhook;
    const payload: WebhookBody = {
      event: task.status === 'COMPLETED' ? 'task.completed' : 'task.failed',
      task: view as Omit<TaskView, 'webhook'>,
    };
    const body = JSON.stringify(payload);
    const now = this.clock.now();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'vstack-gateway',
      'vstack-event': payload.event,
      'vstack-webhook-id': task.id,
      'vstack-webhook-attempt': String(attempt),
      [SIGNATURE_HEADER]: signWebhook(
        webhookSecretFor(masterSecret, task.apiKeyId),
        Math.floor(now / 1000),
        body,
      ),
    };
    let failure: string | undefined;
    try {
      const status = await this.transport.post(
        task.callbackUrl,
        headers,
        body,
        this.settings.webhookTimeoutMs,
      );
      if (status < 200 || status >= 300) failure = `it answered ${status}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const at = new Date(this.clock.now());
    if (failure === undefined) {
      await this.store.setWebhookStatus(task.id, 'delivered', attempt, at);
      this.metrics.webhook('delivered');
      return;
    }
    const last = attempt >= maxAttempts;
    await this.store.setWebhookStatus(task.id, last ? 'failed' : 'pending', attempt, at);
    this.metrics.webhook(last ? 'gave_up' : 'retrying');
    throw new Error(
      `webhook of task ${task.id} to ${originOf(task.callbackUrl)} failed (attempt ${attempt} of ${maxAttempts}): ${failure}`,
    );
  }
}
