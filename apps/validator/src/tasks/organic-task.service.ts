import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import {
  type AnyTaskType,
  parseTaskRequest,
  type RandomSource,
  TaskTypeName,
  taskTypes,
} from '@vstack/protocol';
import {
  jobDefinitions,
  JobName,
  type JobSender,
  type OrganicResultPayload,
  type OrganicTaskPayload,
} from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { errorMessage, isValidatorError, ValidatorError, ValidatorErrorCode } from '../errors';
import { type TaskOutcome, ValidatorMetrics } from '../metrics';
import {
  CLOCK,
  type Clock,
  JOB_SENDER,
  MINER_CALLER,
  MINER_DIRECTORY,
  type MinerCaller,
  type MinerDirectory,
  RANDOM,
  TASK_EVENTS,
  type TaskEvents,
  TIMERS,
  type Timers,
  VALIDATOR_SETTINGS,
} from '../ports';
import { hedgeDelayMs, type ValidatorSettings } from '../settings';
import { OrganicRace, type RaceOutcome } from './organic-race';
import { scoreResponseOf } from './score-jobs';
import { releasedError, TaskRelease } from './task-release';

/** Whether an organic request asks for its answer as a stream (chat completions with `stream: true`). */
export function wantsStream(taskType: string, request: unknown): boolean {
  return (
    taskType === (TaskTypeName.TextGeneration as string) &&
    typeof request === 'object' &&
    request !== null &&
    (request as Record<string, unknown>)['stream'] === true
  );
}

/** What an organic task came to. */
export interface OrganicTaskOutcome {
  readonly outcome: TaskOutcome;
  readonly result: OrganicResultPayload;
}

/**
 * Organic tasks: the race between miners (see OrganicRace), the result for the gateway on the organic-results
 * queue under the task id (so a task handled twice is answered once), a sampled share of the miners' answers for
 * scoring, and a sampled share of completed requests, without the caller's identity, for synthesizing to replay.
 *
 * A failure on the validator's side (managing silent, Redis away, the validator stopping) throws, and BullMQ
 * runs the job again; on the job's last attempt the caller gets a failed result instead of nothing.
 */
@Injectable()
export class OrganicTaskService {
  private readonly jobAttempts = jobDefinitions[JobName.OrganicTask].options.attempts;

  constructor(
    @Inject(VALIDATOR_SETTINGS) private readonly settings: ValidatorSettings,
    @Inject(MINER_DIRECTORY) private readonly directory: MinerDirectory,
    @Inject(MINER_CALLER) private readonly caller: MinerCaller,
    @Inject(TASK_EVENTS) private readonly events: TaskEvents,
    @Inject(JOB_SENDER) private readonly jobs: JobSender,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(RANDOM) private readonly random: RandomSource,
    private readonly release: TaskRelease,
    private readonly metrics: ValidatorMetrics,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Handles one organic task job; `attempt` is the job's attempt (1 on the first run). */
  async handle(task: OrganicTaskPayload, attempt: number): Promise<OrganicTaskOutcome> {
    const startedAt = this.clock();
    let outcome: TaskOutcome = 'failed';
    this.metrics.tasksInProgress.inc({ purpose: 'organic' });
    try {
      const handled = await this.run(task);
      outcome = handled.outcome;
      return handled;
    } catch (error) {
      outcome = isValidatorError(error, ValidatorErrorCode.TaskReleased)
        ? 'released'
        : isValidatorError(error, ValidatorErrorCode.NoMiners)
          ? 'no_miners'
          : 'failed';
      if (attempt < this.jobAttempts) throw error;
      this.logger.error(
        { err: error, taskId: task.taskId, attempt },
        'organic task failed on its last attempt; answering the caller with a failure',
      );
      const result = this.failed(task, errorMessage(error), 0);
      await this.publish(result);
      return { outcome, result };
    } finally {
      this.metrics.tasksInProgress.dec({ purpose: 'organic' });
      this.metrics.task('organic', task.taskType, outcome, this.clock() - startedAt);
    }
  }

  private async run(task: OrganicTaskPayload): Promise<OrganicTaskOutcome> {
    const taskType = taskTypes.has(task.taskType)
      ? (taskTypes.require(task.taskType) as AnyTaskType)
      : undefined;
    if (taskType === undefined) {
      const result = this.failed(task, `unknown task type ${JSON.stringify(task.taskType)}`, 0);
      await this.publish(result);
      return { outcome: 'invalid', result };
    }
    let request: unknown;
    try {
      request = parseTaskRequest(taskType, task.request);
    } catch (error) {
      const result = this.failed(task, errorMessage(error), 0);
      await this.publish(result);
      return { outcome: 'invalid', result };
    }
    this.release.throwIfReleased(task.taskId);
    await this.events.progress({ taskId: task.taskId, stage: 'processing', at: this.clock() });
    const race = new OrganicRace(
      {
        taskId: task.taskId,
        taskType,
        request,
        stream: wantsStream(task.taskType, task.request),
        maxAttempts: this.settings.organicAttempts,
        hedgeDelayMs: hedgeDelayMs(this.settings, taskType.timeoutMs),
      },
      {
        directory: this.directory,
        caller: this.caller,
        events: this.events,
        timers: this.timers,
        clock: this.clock,
        metrics: this.metrics,
        release: this.release.signal,
      },
    );
    try {
      return await this.finish(task, request, race, await race.run());
    } finally {
      // After the result: the caller does not wait for managing to take the reports.
      await race.reported();
    }
  }

  private async finish(
    task: OrganicTaskPayload,
    request: unknown,
    race: OrganicRace,
    raced: RaceOutcome,
  ): Promise<OrganicTaskOutcome> {
    if (raced.released) throw releasedError(task.taskId);
    if (raced.noMiners) {
      throw new ValidatorError(ValidatorErrorCode.NoMiners, raced.failure ?? 'no miner available');
    }
    const { winner } = raced;
    let result: OrganicResultPayload;
    if (winner === undefined) {
      result = this.failed(task, raced.failure ?? 'no valid answer', raced.attempts);
    } else {
      await race.endStream(winner);
      result = {
        taskId: task.taskId,
        taskType: task.taskType,
        status: 'completed',
        result: winner.result.response,
        minerUid: winner.miner.uid,
        minerHotkey: winner.miner.hotkey,
        attempts: raced.attempts,
        latencyMs: winner.result.latencyMs,
        finishedAt: new Date(this.clock()).toISOString(),
      };
    }
    await this.publish(result);
    await this.score(task, request, raced);
    if (winner !== undefined) await this.sample(task, request);
    return { outcome: winner === undefined ? 'failed' : 'completed', result };
  }

  private failed(task: OrganicTaskPayload, error: string, attempts: number): OrganicResultPayload {
    return {
      taskId: task.taskId,
      taskType: task.taskType,
      status: 'failed',
      error: error.slice(0, 2_000),
      attempts,
      finishedAt: new Date(this.clock()).toISOString(),
    };
  }

  private async publish(result: OrganicResultPayload): Promise<void> {
    await this.jobs.add(JobName.OrganicResult, result, { jobId: result.taskId });
  }

  private async score(task: OrganicTaskPayload, request: unknown, raced: RaceOutcome): Promise<void> {
    if (raced.settled.length === 0 || !(this.random() < this.settings.organicScoringShare)) return;
    await Promise.all(
      raced.settled.map(async ({ miner, result }) => {
        const job = scoreResponseOf({ ...task, request }, 'organic', miner, result);
        await this.jobs.add(JobName.ScoreResponse, job, { jobId: job.responseId });
      }),
    );
  }

  private async sample(task: OrganicTaskPayload, request: unknown): Promise<void> {
    if (!(this.random() < this.settings.organicSampleShare)) return;
    await this.events.sampled({
      sampleId: randomUUID(),
      taskType: task.taskType,
      request,
      sampledAt: new Date(this.clock()).toISOString(),
    });
  }
}
