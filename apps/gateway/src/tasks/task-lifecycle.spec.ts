import { ServiceMetrics } from '@vstack/observability';
import type { OrganicResultPayload, RemoveJobOutcome } from '@vstack/queues';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../gateway-metrics';
import type { TaskOutcome, TaskRecord, TaskStatus } from './task';
import type { TaskAnnouncer } from './task-announcer';
import { TaskLifecycle } from './task-lifecycle.service';
import type { TaskQueue } from './task-queue';
import { type TaskSignal, TaskSignals } from './task-signals';
import type { FinishResult, TaskStore } from './task-store';

function record(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 't-1',
    apiKeyId: 'k-1',
    taskType: 'arithmetic',
    priority: 'normal',
    status: 'PROCESSING',
    input: { operation: 'add', a: '1', b: '2' },
    result: null,
    errorCode: null,
    errorMessage: null,
    priceCredits: 1,
    attempts: 0,
    minerUid: null,
    minerHotkey: null,
    latencyMs: null,
    callbackUrl: null,
    webhookStatus: null,
    webhookAttempts: 0,
    webhookAt: null,
    idempotencyKey: null,
    requestHash: 'h',
    createdAt: new Date(1_000),
    queuedAt: new Date(1_001),
    processingAt: new Date(1_002),
    finishedAt: null,
    ...overrides,
  };
}

function setUp(existing: TaskRecord | undefined, now = 10_000) {
  const finishes: TaskOutcome[] = [];
  const webhooks: string[] = [];
  const announced: string[] = [];
  const store = {
    finish(outcome: TaskOutcome, from: readonly TaskStatus[]): Promise<FinishResult | undefined> {
      finishes.push(outcome);
      if (!existing) return Promise.resolve(undefined);
      if (!from.includes(existing.status)) return Promise.resolve({ task: existing, changed: false });
      existing = {
        ...existing,
        status: outcome.status,
        result: outcome.result ?? null,
        errorCode: outcome.errorCode ?? null,
        finishedAt: outcome.at,
      };
      return Promise.resolve({ task: existing, changed: true });
    },
    markProcessing: () => Promise.resolve(true),
  } as unknown as TaskStore;
  const queue: TaskQueue = {
    enqueue: () => Promise.resolve(),
    remove: () => Promise.resolve<RemoveJobOutcome>('missing'),
    isQueued: () => Promise.resolve(false),
    enqueueWebhook: (taskId) => {
      webhooks.push(taskId);
      return Promise.resolve();
    },
  };
  const announcer: TaskAnnouncer = {
    announce: (event) => {
      announced.push(event.status);
      return Promise.reject(new Error('Redis away'));
    },
  };
  const signals = new TaskSignals();
  const heard: TaskSignal[] = [];
  signals.subscribe('t-1', (signal) => heard.push(signal));
  const lifecycle = new TaskLifecycle(
    store,
    queue,
    announcer,
    { now: () => now },
    pino({ level: 'silent' }),
    signals,
    new GatewayMetrics(new ServiceMetrics('gateway')),
  );
  return { lifecycle, finishes, webhooks, announced, heard };
}

const result = (overrides: Partial<OrganicResultPayload> = {}): OrganicResultPayload => ({
  taskId: 't-1',
  taskType: 'arithmetic',
  status: 'completed',
  result: { result: '3' },
  attempts: 2,
  minerUid: 7,
  finishedAt: new Date(9_000).toISOString(),
  ...overrides,
});

describe('TaskLifecycle.settle', () => {
  it('completes a task with a valid answer, wakes its waiters, and survives a failed announcement', async () => {
    const { lifecycle, finishes, heard, announced } = setUp(record());
    await lifecycle.settle(result());
    expect(finishes[0]).toMatchObject({
      status: 'COMPLETED',
      result: { result: '3' },
      attempts: 2,
      minerUid: 7,
    });
    expect(heard).toEqual([{ kind: 'finished', event: { taskId: 't-1', status: 'COMPLETED', at: 10_000 } }]);
    expect(announced).toEqual(['COMPLETED']);
  });

  it('fails a task whose answer does not match its task type, so nothing is charged for it', async () => {
    const { lifecycle, finishes } = setUp(record());
    await lifecycle.settle(result({ result: { result: 'three' } }));
    expect(finishes[0]).toMatchObject({ status: 'FAILED', errorCode: 'invalid_response' });
  });

  it('fails a task the validator could not get answered, with its reason', async () => {
    const { lifecycle, finishes } = setUp(record());
    await lifecycle.settle(result({ status: 'failed', error: 'all miners timed out', result: undefined }));
    expect(finishes[0]).toMatchObject({
      status: 'FAILED',
      errorCode: 'miners_failed',
      errorMessage: 'all miners timed out',
    });
  });

  it('queues the webhook again when a result is delivered twice, but never for a cancelled task', async () => {
    const pending = setUp(record({ callbackUrl: 'https://app.example/hook', webhookStatus: 'pending' }));
    await pending.lifecycle.settle(result());
    await pending.lifecycle.settle(result());
    expect(pending.webhooks).toEqual(['t-1', 't-1']);
    const cancelled = setUp(
      record({ status: 'CANCELLED', callbackUrl: 'https://app.example/hook', webhookStatus: 'pending' }),
    );
    await cancelled.lifecycle.settle(result());
    expect(cancelled.webhooks).toEqual([]);
  });

  it('retries the result of a task not recorded yet, and drops it once it is old', async () => {
    await expect(setUp(undefined, 10_000).lifecycle.settle(result())).rejects.toThrow(
      'no task t-1 is recorded',
    );
    await expect(setUp(undefined, 9_000 + 61_000).lifecycle.settle(result())).resolves.toBeUndefined();
  });
});
