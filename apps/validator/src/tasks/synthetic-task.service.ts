import { Inject, Injectable } from '@nestjs/common';
import type { SelectedMiner } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { type AnyTaskType, isProtocolError, parseTaskRequest, taskTypes } from '@vstack/protocol';
import { JobName, type JobSender, type SyntheticTaskPayload } from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { type TaskOutcome, ValidatorMetrics } from '../metrics';
import {
  CLOCK,
  type Clock,
  JOB_SENDER,
  MINER_CALLER,
  MINER_DIRECTORY,
  type MinerCaller,
  type MinerCallResult,
  type MinerDirectory,
  VALIDATOR_SETTINGS,
} from '../ports';
import type { ValidatorSettings } from '../settings';
import { scoreResponseOf } from './score-jobs';
import { releasedError, TaskRelease } from './task-release';

/** What a synthetic task came to. */
export interface SyntheticTaskOutcome {
  readonly outcome: TaskOutcome;
  /** The miners asked and how each call ended (cancelled ones included). */
  readonly calls: readonly { miner: SelectedMiner; result: MinerCallResult }[];
}

/**
 * Synthetic tasks: ask managing for k miners, send the challenge to all of them at once, report each call, and
 * send every answer (and every failure) to scoring under an id per task and miner, so a task handled twice scores
 * each miner once. A challenge nobody can take (no miner, a request its task type refuses) is dropped: another
 * comes soon.
 */
@Injectable()
export class SyntheticTaskService {
  constructor(
    @Inject(VALIDATOR_SETTINGS) private readonly settings: ValidatorSettings,
    @Inject(MINER_DIRECTORY) private readonly directory: MinerDirectory,
    @Inject(MINER_CALLER) private readonly caller: MinerCaller,
    @Inject(JOB_SENDER) private readonly jobs: JobSender,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly release: TaskRelease,
    private readonly metrics: ValidatorMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Handles one synthetic task job. Throws when the task should run again (the validator stopping, Redis). */
  async handle(task: SyntheticTaskPayload): Promise<SyntheticTaskOutcome> {
    const startedAt = this.clock();
    let outcome: TaskOutcome = 'failed';
    this.metrics.tasksInProgress.inc({ purpose: 'synthetic' });
    try {
      const handled = await this.run(task);
      outcome = handled.outcome;
      return handled;
    } catch (error) {
      if (this.release.released) outcome = 'released';
      throw error;
    } finally {
      this.metrics.tasksInProgress.dec({ purpose: 'synthetic' });
      this.metrics.task('synthetic', task.taskType, outcome, this.clock() - startedAt);
    }
  }

  private async run(task: SyntheticTaskPayload): Promise<SyntheticTaskOutcome> {
    const prepared = this.prepare(task);
    if (prepared === undefined) return { outcome: 'invalid', calls: [] };
    const { taskType, request } = prepared;
    this.release.throwIfReleased(task.taskId);
    const selection = await this.directory.select({
      taskType: task.taskType,
      count: this.settings.syntheticMiners,
      purpose: 'synthetic',
    });
    const miners = [...new Map(selection.miners.map((miner) => [miner.uid, miner])).values()];
    if (miners.length === 0) {
      this.logger.debug(
        { taskId: task.taskId, taskType: task.taskType, reason: selection.reasonCode ?? selection.reason },
        'no miner for a synthetic task',
      );
      return { outcome: 'no_miners', calls: [] };
    }
    const reports: Promise<void>[] = [];
    // A signal per task, tied to the long-lived release signal only while the task runs.
    const cancel = new AbortController();
    const onRelease = () => {
      cancel.abort();
    };
    this.release.signal.addEventListener('abort', onRelease, { once: true });
    const calls = await Promise.all(
      miners.map(async (miner) => {
        const result = await this.caller.call({
          miner,
          taskType,
          request,
          stream: false,
          signal: cancel.signal,
        });
        this.metrics.minerCall('synthetic', task.taskType, result.outcome, result.latencyMs);
        if (result.outcome !== 'cancelled') {
          reports.push(
            this.directory.report({
              uid: miner.uid,
              hotkey: miner.hotkey,
              ok: result.outcome === 'ok',
              latencyMs: result.latencyMs,
            }),
          );
        }
        return { miner, result };
      }),
    ).finally(() => {
      this.release.signal.removeEventListener('abort', onRelease);
    });
    await Promise.all(reports);
    // Scores of a half-run challenge would be unfair to the miners cut off: run it again elsewhere.
    if (calls.some((call) => call.result.outcome === 'cancelled')) throw releasedError(task.taskId);
    await Promise.all(
      calls.map(async ({ miner, result }) => {
        const job = scoreResponseOf({ ...task, request }, 'synthetic', miner, result);
        await this.jobs.add(JobName.ScoreResponse, job, { jobId: job.responseId });
      }),
    );
    return { outcome: 'completed', calls };
  }

  private prepare(task: SyntheticTaskPayload): { taskType: AnyTaskType; request: unknown } | undefined {
    if (!taskTypes.has(task.taskType)) {
      this.logger.warn({ taskId: task.taskId, taskType: task.taskType }, 'synthetic task of an unknown type');
      return undefined;
    }
    const taskType = taskTypes.require(task.taskType) as AnyTaskType;
    try {
      return { taskType, request: parseTaskRequest(taskType, task.request) };
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      this.logger.warn({ taskId: task.taskId, err: error }, 'synthetic task with an invalid request');
      return undefined;
    }
  }
}
