import { Inject, Injectable } from '@nestjs/common';
import type { TaskChunkEvent, TaskFinishedEvent, TaskProgressEvent } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { parseTaskResponse, taskTypes } from '@vstack/protocol';
import type { OrganicResultPayload } from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { GatewayMetrics } from '../gateway-metrics';
import { CLOCK, type Clock, TASK_ANNOUNCER, TASK_QUEUE, TASK_STORE } from '../ports';
import { type TaskOutcome, type TaskStatus, unfinishedStatuses } from './task';
import type { TaskAnnouncer } from './task-announcer';
import type { TaskQueue } from './task-queue';
import { TaskSignals } from './task-signals';
import type { FinishResult, TaskStore } from './task-store';

/** How long a result for a task the gateway has not recorded is retried (its record may not be visible yet). */
const UNKNOWN_TASK_GRACE_MS = 60_000;

/** Error codes a task's record carries when it did not complete. */
export enum TaskFailureCode {
  /** No miner gave a valid answer in the validator's attempts. */
  MinersFailed = 'miners_failed',
  /** The answer does not match the task type's response schema. */
  InvalidResponse = 'invalid_response',
  /** The task did not finish within GATEWAY_TASK_DEADLINE_SECONDS. */
  DeadlineExceeded = 'deadline_exceeded',
  /** The application cancelled it before a validator took it. */
  Cancelled = 'cancelled',
}

/**
 * Moves tasks through their lifecycle as the validator reports it: PROCESSING on its progress event, and a final
 * state (with the credits settled) on its result, a cancellation or the deadline. After a final state it queues the
 * webhook and tells every replica, so waiting requests wake.
 */
@Injectable()
export class TaskLifecycle {
  constructor(
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(TASK_QUEUE) private readonly queue: TaskQueue,
    @Inject(TASK_ANNOUNCER) private readonly announcer: TaskAnnouncer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly signals: TaskSignals,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** The validator's progress: `processing` marks the task PROCESSING; every stage goes to the event streams. */
  async onProgress(event: TaskProgressEvent): Promise<void> {
    this.signals.publish(event.taskId, { kind: 'progress', event });
    if (event.stage === 'processing') {
      await this.store.markProcessing(event.taskId, new Date(this.clock.now()));
    }
  }

  /** A piece of a streamed answer, for the streamed chat completions waiting on this replica. */
  onChunk(event: TaskChunkEvent): void {
    this.signals.publish(event.taskId, { kind: 'chunk', event });
  }

  /** A task finished (on any replica). */
  onFinished(event: TaskFinishedEvent): void {
    this.signals.publish(event.taskId, { kind: 'finished', event });
  }

  /**
   * Settles a result from the validator: COMPLETED (its price debited) when the answer is valid for its task type,
   * else FAILED (its price released). Idempotent: a result delivered again changes nothing, but its webhook and
   * announcement are made again in case the first run stopped before them. Throws (so the job is retried) for a
   * task not recorded yet.
   */
  async settle(result: OrganicResultPayload): Promise<void> {
    const finished = await this.finish(this.outcomeOf(result), unfinishedStatuses);
    if (finished) return;
    if (this.clock.now() - Date.parse(result.finishedAt) < UNKNOWN_TASK_GRACE_MS) {
      throw new Error(`no task ${result.taskId} is recorded (yet); the result will be tried again`);
    }
    this.logger.warn({ taskId: result.taskId }, 'dropped the result of a task the gateway has no record of');
  }

  /** Puts a task in a final state from one of `from`, then does what follows a final state. */
  async finish(outcome: TaskOutcome, from: readonly TaskStatus[]): Promise<FinishResult | undefined> {
    const finished = await this.store.finish(outcome, from);
    if (finished) await this.afterFinish(finished);
    return finished;
  }

  private outcomeOf(result: OrganicResultPayload): TaskOutcome {
    const common = {
      taskId: result.taskId,
      attempts: result.attempts,
      at: new Date(this.clock.now()),
      ...(result.minerUid === undefined ? {} : { minerUid: result.minerUid }),
      ...(result.minerHotkey === undefined ? {} : { minerHotkey: result.minerHotkey }),
      ...(result.latencyMs === undefined ? {} : { latencyMs: result.latencyMs }),
    };
    if (result.status === 'failed') {
      return {
        ...common,
        status: 'FAILED',
        errorCode: TaskFailureCode.MinersFailed,
        errorMessage: result.error ?? 'no miner gave a valid answer',
      };
    }
    if (taskTypes.has(result.taskType)) {
      const parsed = parseTaskResponse(taskTypes.require(result.taskType), result.result);
      if (!parsed.valid) {
        return {
          ...common,
          status: 'FAILED',
          errorCode: TaskFailureCode.InvalidResponse,
          errorMessage: `the answer does not match the ${result.taskType} response: ${parsed.issues.join('; ')}`,
        };
      }
      return { ...common, status: 'COMPLETED', result: parsed.response };
    }
    return { ...common, status: 'COMPLETED', result: result.result ?? null };
  }

  private async afterFinish({ task, changed }: FinishResult): Promise<void> {
    if (changed && task.finishedAt) {
      this.metrics.taskFinished(
        task.taskType,
        task.status,
        (task.finishedAt.getTime() - task.createdAt.getTime()) / 1000,
        task.priceCredits,
      );
    }
    if (task.webhookStatus === 'pending' && task.status !== 'CANCELLED') {
      await this.queue.enqueueWebhook(task.id);
    }
    if (task.status !== 'COMPLETED' && task.status !== 'FAILED' && task.status !== 'CANCELLED') return;
    const event: TaskFinishedEvent = {
      taskId: task.id,
      status: task.status,
      at: (task.finishedAt ?? new Date(this.clock.now())).getTime(),
    };
    this.signals.publish(task.id, { kind: 'finished', event });
    await this.announcer.announce(event).catch((error: unknown) => {
      this.logger.warn({ err: error, taskId: task.id }, 'could not tell the other replicas a task finished');
    });
  }
}
