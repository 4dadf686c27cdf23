import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { CLOCK, type Clock, GATEWAY_SETTINGS, TASK_QUEUE, TASK_STORE } from '../ports';
import type { GatewaySettings } from '../settings';
import { unfinishedStatuses } from './task';
import { TaskFailureCode, TaskLifecycle } from './task-lifecycle.service';
import type { TaskQueue } from './task-queue';
import type { TaskStore } from './task-store';

const BATCH = 500;

/** What one sweep did. */
export interface SweepReport {
  /** Tasks past their deadline, failed and released. */
  expired: number;
  /** PENDING tasks older than GATEWAY_STALE_SUBMISSION_SECONDS whose job is in the queue, marked QUEUED. */
  queued: number;
  /** Stale PENDING tasks whose job never reached the queue (their client got a 503), undone. */
  discarded: number;
  /** Finished tasks past their retention, deleted. */
  pruned: number;
}

/**
 * Keeps the records honest over time: fails tasks past GATEWAY_TASK_DEADLINE_SECONDS (releasing their price), puts
 * right submissions interrupted between the record and the queue, and deletes finished tasks after their
 * retention. Every replica sweeps; each step is conditional, so sweeping twice does no harm.
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(TASK_QUEUE) private readonly queue: TaskQueue,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'task maintenance failed; it runs again shortly');
        })
        .finally(() => {
          this.running = undefined;
        });
    }, this.settings.maintenanceIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<SweepReport> {
    const now = this.clock.now();
    const report: SweepReport = { expired: 0, queued: 0, discarded: 0, pruned: 0 };

    const stale = await this.store.unfinishedBefore(new Date(now - this.settings.staleSubmissionMs), BATCH, [
      'PENDING',
    ]);
    for (const task of stale) {
      if (await this.queue.isQueued(task.id)) {
        await this.store.markQueued([task.id], new Date(now));
        report.queued += 1;
      } else if (await this.store.discardPending(task.id)) {
        report.discarded += 1;
      }
    }

    const overdue = await this.store.unfinishedBefore(
      new Date(now - this.settings.taskDeadlineMs),
      BATCH,
      unfinishedStatuses,
    );
    for (const task of overdue) {
      // A job still waiting should not reach a miner after its task has failed.
      await this.queue.remove(task.id).catch(() => 'missing');
      const finished = await this.lifecycle.finish(
        {
          taskId: task.id,
          status: 'FAILED',
          errorCode: TaskFailureCode.DeadlineExceeded,
          errorMessage: `not finished within ${this.settings.taskDeadlineMs / 1000} s`,
          at: new Date(now),
        },
        unfinishedStatuses,
      );
      if (finished?.changed) report.expired += 1;
    }

    const before = new Date(now - this.settings.retentionMs);
    for (;;) {
      const deleted = await this.store.pruneFinishedBefore(before, 5_000);
      report.pruned += deleted;
      if (deleted < 5_000) break;
    }
    if (report.expired + report.queued + report.discarded + report.pruned > 0) {
      this.logger.info(report, 'task maintenance');
    }
    return report;
  }
}
