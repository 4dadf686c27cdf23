import { Inject, Injectable } from '@nestjs/common';
import {
  type AnyTaskType,
  computeReference,
  evaluateResponse,
  isProtocolError,
  parseTaskRequest,
  type RandomSource,
  type ReferenceContext,
  taskTypes,
} from '@vstack/protocol';
import { QueueErrorCode, type ScoreResponsePayload, UnprocessableJobError } from '@vstack/queues';
import {
  applyDropout,
  DEFAULT_PRIOR,
  recordScore,
  type ResponseResult,
  type ResponseScore,
  scoreResponse,
} from '@vstack/scoring';
import { type ResponseOutcome, ScoringMetrics } from '../metrics';
import { movingScoresOf } from '../moving-scores';
import { type Clock, CLOCK, RANDOM, REFERENCE_CONTEXT, SCORE_STORE, SCORING_SETTINGS } from '../ports';
import type { ScoringSettings } from '../settings';
import type {
  MinerSession,
  MinerTaskScore,
  ScoreRecord,
  ScoreStore,
  UnscoredReason,
} from '../store/score-store';

/** What became of one score job. */
export type ScoredResponse =
  | { readonly outcome: 'scored'; readonly score: ResponseScore }
  | { readonly outcome: 'unscored_dropout' | 'unscored_not_sampled' | 'duplicate' };

/**
 * Scores miner responses: accuracy against the task type's reference answer, speed, the combined score, the
 * dropout cap, organic spot checks, and the per-miner, per-task-type moving scores. A response is recorded
 * once: a job delivered again finds its record and changes nothing.
 */
@Injectable()
export class ResponsesService {
  constructor(
    @Inject(SCORE_STORE) private readonly store: ScoreStore,
    @Inject(SCORING_SETTINGS) private readonly settings: ScoringSettings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: RandomSource,
    @Inject(REFERENCE_CONTEXT) private readonly reference: ReferenceContext,
    private readonly metrics: ScoringMetrics,
  ) {}

  /**
   * Scores and records one response. Throws UnprocessableJobError for a job that can never be scored (unknown
   * task type, a request its task type refuses); any other error leaves nothing recorded, so a retry is safe.
   */
  async score(job: ScoreResponsePayload): Promise<ScoredResponse> {
    const taskType = this.taskTypeOf(job);
    const result = await this.store.withMiner(job.minerUid, (session) => this.record(session, job, taskType));
    this.metrics.responses.inc({
      task_type: job.taskType,
      outcome: result.outcome satisfies ResponseOutcome,
    });
    if (result.outcome === 'scored') {
      this.metrics.scores.observe({ task_type: job.taskType, purpose: job.purpose }, result.score.combined);
    }
    return result;
  }

  private taskTypeOf(job: ScoreResponsePayload): AnyTaskType {
    const unprocessable = (message: string) => {
      this.metrics.responses.inc({ task_type: job.taskType, outcome: 'invalid' });
      return new UnprocessableJobError(QueueErrorCode.InvalidPayload, message);
    };
    if (!taskTypes.has(job.taskType)) {
      throw unprocessable(`response ${job.responseId}: unknown task type ${JSON.stringify(job.taskType)}`);
    }
    const taskType = taskTypes.require(job.taskType) as AnyTaskType;
    try {
      parseTaskRequest(taskType, job.request);
    } catch (error) {
      if (isProtocolError(error)) throw unprocessable(`response ${job.responseId}: ${error.message}`);
      throw error;
    }
    return taskType;
  }

  private async record(
    session: MinerSession,
    job: ScoreResponsePayload,
    taskType: AnyTaskType,
  ): Promise<ScoredResponse> {
    if (await session.hasRecord(job.responseId)) return { outcome: 'duplicate' };
    const now = this.clock();
    let scores = await session.taskScores();
    if (scores.some((score) => score.hotkey !== job.minerHotkey)) {
      // A new hotkey holds the uid: the old one's moving scores are not its own.
      await session.forget();
      scores = [];
    }
    const current = scores.find((score) => score.taskType === job.taskType);
    if (job.purpose === 'organic' && !(this.random() < this.settings.organicSpotCheck)) {
      await this.recordUnscored(session, job, current, now, 'not_sampled');
      return { outcome: 'unscored_not_sampled' };
    }
    const { maxScored, windowMs } = this.settings.dropout;
    const recent = await session.scoredSince(job.minerHotkey, now - windowMs);
    if (applyDropout(recent, now, { maxScored, windowMs }).outcome === 'unscored') {
      await this.recordUnscored(session, job, current, now, 'dropout');
      return { outcome: 'unscored_dropout' };
    }
    const profile = this.settings.profiles.get(taskType.name);
    if (!profile) throw new Error(`no scoring profile for task type ${taskType.name}`);
    const score = scoreResponse(await this.evaluate(taskType, job), profile);
    const state = recordScore(
      movingScoresOf(scores),
      { uid: job.minerUid, hotkey: job.minerHotkey, taskType: job.taskType, score: score.combined, at: now },
      { alpha: this.settings.alpha, prior: DEFAULT_PRIOR },
    );
    const moving = state.miners[job.minerUid]?.taskTypes[job.taskType];
    if (!moving) throw new Error(`no moving score for uid ${job.minerUid} after scoring`);
    await session.saveTaskScore({
      uid: job.minerUid,
      hotkey: job.minerHotkey,
      taskType: job.taskType,
      score: moving.value,
      samples: moving.samples,
      unscored: current?.unscored ?? 0,
      updatedAt: moving.updatedAt,
    });
    await session.addRecord({
      ...this.recordOf(job, now),
      outcome: 'scored',
      unscoredReason: null,
      status: score.status,
      accuracy: score.accuracy,
      speed: score.speed,
      score: score.combined,
    });
    return { outcome: 'scored', score };
  }

  private async recordUnscored(
    session: MinerSession,
    job: ScoreResponsePayload,
    current: MinerTaskScore | undefined,
    now: number,
    reason: UnscoredReason,
  ): Promise<void> {
    await session.saveTaskScore({
      uid: job.minerUid,
      hotkey: job.minerHotkey,
      taskType: job.taskType,
      score: current?.score ?? DEFAULT_PRIOR,
      samples: current?.samples ?? 0,
      unscored: (current?.unscored ?? 0) + 1,
      updatedAt: current?.updatedAt ?? now,
    });
    await session.addRecord({
      ...this.recordOf(job, now),
      outcome: 'unscored',
      unscoredReason: reason,
      status: null,
      accuracy: null,
      speed: null,
      score: null,
    });
  }

  private recordOf(
    job: ScoreResponsePayload,
    now: number,
  ): Omit<ScoreRecord, 'outcome' | 'unscoredReason' | 'status' | 'accuracy' | 'speed' | 'score'> {
    return {
      responseId: job.responseId,
      taskId: job.taskId,
      taskType: job.taskType,
      purpose: job.purpose,
      minerUid: job.minerUid,
      minerHotkey: job.minerHotkey,
      latencyMs: job.latencyMs,
      error: job.error ?? null,
      recordedAt: now,
    };
  }

  /** How the miner's attempt ended: a failed request scores 0 whatever came back; else the reference decides. */
  private async evaluate(taskType: AnyTaskType, job: ScoreResponsePayload): Promise<ResponseResult> {
    if (job.error !== undefined || job.response === null || job.response === undefined) {
      return job.latencyMs >= taskType.timeoutMs ? { status: 'timeout' } : { status: 'no_response' };
    }
    const reference = await computeReference(taskType, job.request, this.reference);
    const evaluation = evaluateResponse(taskType, {
      request: job.request,
      response: job.response,
      reference,
    });
    return evaluation.valid
      ? { status: 'answered', accuracy: evaluation.accuracy, latencyMs: job.latencyMs }
      : { status: 'invalid' };
  }
}
