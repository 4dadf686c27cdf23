import type { SelectedMiner, TaskStage } from '@vstack/contracts';
import type { AnyTaskType, ChatCompletionResponse } from '@vstack/protocol';
import { errorMessage } from '../errors';
import type { ValidatorMetrics } from '../metrics';
import { completionAsChunk, STREAM_DONE } from '../miners/chat-stream';
import type { Clock, MinerCaller, MinerCallResult, MinerDirectory, TaskEvents, Timers } from '../ports';

/** What an organic race needs from outside. */
export interface OrganicRaceDeps {
  directory: MinerDirectory;
  caller: MinerCaller;
  events: TaskEvents;
  timers: Timers;
  clock: Clock;
  metrics: ValidatorMetrics;
  /** Aborts when the validator gives its tasks back. */
  release: AbortSignal;
}

/** The task an organic race is run for. */
export interface OrganicRaceTask {
  taskId: string;
  taskType: AnyTaskType;
  /** The request as validated against the task type's schema. */
  request: unknown;
  /** The caller asked for the answer as a stream. */
  stream: boolean;
  /** Miners to ask in all, the hedge included. */
  maxAttempts: number;
  /** When to hedge to a second miner, in ms; undefined never hedges. */
  hedgeDelayMs: number | undefined;
}

/** One miner asked, and how its call ended. */
export interface AttemptRecord {
  readonly miner: SelectedMiner;
  readonly result: MinerCallResult;
}

/** The winning answer of a race. */
export interface Winner {
  readonly miner: SelectedMiner;
  readonly result: Extract<MinerCallResult, { outcome: 'ok' }>;
}

/** How a race ended. */
export interface RaceOutcome {
  readonly winner: Winner | undefined;
  /** Every call that ended by itself (cancelled hedges left out), in the order they ended. */
  readonly settled: readonly AttemptRecord[];
  /** Miners asked, hedges included. */
  readonly attempts: number;
  /** Why the race failed, for the caller; undefined when it has a winner. */
  readonly failure: string | undefined;
  /** managing had no miner at all for the task. */
  readonly noMiners: boolean;
  /** The validator gave the task back before it had a winner. */
  readonly released: boolean;
}

type AttemptKind = 'first' | 'hedge' | 'retry';

const stageOf: Record<AttemptKind, TaskStage> = {
  first: 'miner_selected',
  hedge: 'hedged',
  retry: 'retrying',
};

/**
 * One organic task's race between miners: ask one miner; when it has not answered after the hedge delay, ask a
 * second as well; when a call fails, ask another at once; the first valid answer wins and the other calls are
 * cancelled; at most `maxAttempts` miners in all. A streamed answer belongs to the first miner that sends a
 * chunk: the other calls are cancelled then, and if that stream breaks off the task fails (the caller already has
 * part of it). Progress and chunk events go out in order.
 */
export class OrganicRace {
  private started = 0;
  private firstAttempt: number | undefined;
  private readonly tried = new Set<number>();
  private candidates: SelectedMiner[] = [];
  private selectionExhausted = false;
  private selectionReason: string | undefined;
  private readonly inFlight = new Map<number, AbortController>();
  private pendingLaunches = 0;
  private launchChain: Promise<unknown> = Promise.resolve();
  private readonly calls: Promise<void>[] = [];
  private readonly settled: AttemptRecord[] = [];
  private readonly reports: Promise<void>[] = [];
  private readonly failures: string[] = [];
  private winner: Winner | undefined;
  private streamOwner: number | undefined;
  private streamBroke = false;
  private chunkIndex = 0;
  private eventChain: Promise<void> = Promise.resolve();
  private finished = false;
  private resolveDone: () => void = () => undefined;
  private readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });
  private readonly stopHedge = new AbortController();

  constructor(
    private readonly task: OrganicRaceTask,
    private readonly deps: OrganicRaceDeps,
  ) {}

  /** Runs the race to its end. Rejects only when managing cannot be asked for the first miner. */
  async run(): Promise<RaceOutcome> {
    const onRelease = () => {
      this.finish();
    };
    this.deps.release.addEventListener('abort', onRelease, { once: true });
    try {
      if (this.deps.release.aborted) this.finish();
      await this.launch('first');
      if (this.started > 0 && !this.finished) void this.hedgeLater();
      this.finishWhenNothingLeft();
      await this.done;
      await Promise.all(this.calls);
      await this.eventChain;
      return this.outcome();
    } finally {
      this.deps.release.removeEventListener('abort', onRelease);
      this.stopHedge.abort();
      this.finish();
    }
  }

  /** Resolves once managing has taken the report of every call (or the reports failed; they never reject). */
  async reported(): Promise<void> {
    await Promise.all(this.reports);
  }

  /** Ends the caller's stream after a win: the whole answer as one chunk when the miner did not stream. */
  async endStream(winner: Winner): Promise<void> {
    if (!this.task.stream) return;
    if (!winner.result.streamed) {
      this.emitChunk(completionAsChunk(winner.result.response as ChatCompletionResponse), false);
    }
    this.emitChunk(STREAM_DONE, true);
    await this.eventChain;
  }

  private outcome(): RaceOutcome {
    const noMiners = this.started === 0 && !this.deps.release.aborted;
    let failure: string | undefined;
    if (this.winner === undefined) {
      if (noMiners) failure = `no miner available${this.selectionReason ? `: ${this.selectionReason}` : ''}`;
      else if (this.streamBroke) failure = `the miner's stream broke off: ${this.failures.at(-1) ?? ''}`;
      else failure = `no valid answer from ${this.started} miner(s): ${this.failures.join('; ')}`;
    }
    return {
      winner: this.winner,
      settled: this.settled,
      attempts: this.started,
      failure,
      noMiners,
      released: this.winner === undefined && this.deps.release.aborted,
    };
  }

  private launch(kind: AttemptKind): Promise<boolean> {
    this.pendingLaunches += 1;
    const run = this.launchChain
      .then(() => this.launchNow(kind))
      .finally(() => {
        this.pendingLaunches -= 1;
      });
    this.launchChain = run.catch(() => undefined);
    return run;
  }

  private async launchNow(kind: AttemptKind): Promise<boolean> {
    if (!this.mayStart()) return false;
    if (kind === 'hedge') {
      const first = this.firstAttempt;
      if (first === undefined || !this.inFlight.has(first) || this.streamOwner !== undefined) return false;
    }
    const miner = await this.nextMiner(kind);
    if (miner === undefined || !this.mayStart()) return false;
    const attempt = this.started;
    this.started += 1;
    this.firstAttempt ??= attempt;
    this.tried.add(miner.uid);
    if (kind !== 'first') this.deps.metrics.extraAttempts.inc({ task_type: this.task.taskType.name, kind });
    this.emitProgress(stageOf[kind], miner.uid, kind === 'retry' ? this.failures.at(-1) : undefined);
    const controller = new AbortController();
    this.inFlight.set(attempt, controller);
    const call = this.deps.caller
      .call({
        miner,
        taskType: this.task.taskType,
        request: this.task.request,
        stream: this.task.stream,
        signal: controller.signal,
        ...(this.task.stream
          ? {
              onChunk: (data: string) => {
                this.onChunk(attempt, data);
              },
            }
          : {}),
      })
      .then((result) => {
        this.settle(attempt, miner, result);
      });
    this.calls.push(call);
    return true;
  }

  private mayStart(): boolean {
    return !this.finished && this.started < this.task.maxAttempts && !this.deps.release.aborted;
  }

  /**
   * The next miner not asked yet. The first selection asks managing for one miner; later ones ask for one more
   * than have been tried and skip those, so a task never goes to the same miner twice.
   */
  private async nextMiner(kind: AttemptKind): Promise<SelectedMiner | undefined> {
    for (;;) {
      const candidate = this.candidates.shift();
      if (candidate === undefined) break;
      if (!this.tried.has(candidate.uid)) return candidate;
    }
    if (this.selectionExhausted) return undefined;
    let miners: SelectedMiner[];
    try {
      const selection = await this.deps.directory.select({
        taskType: this.task.taskType.name,
        count: Math.min(256, this.tried.size + 1),
        purpose: 'organic',
      });
      miners = selection.miners;
      this.selectionReason = selection.reasonCode ?? selection.reason;
    } catch (error) {
      if (kind === 'first') throw error;
      this.selectionExhausted = true;
      this.selectionReason = errorMessage(error);
      this.failures.push(`managing: ${errorMessage(error)}`);
      return undefined;
    }
    this.candidates = miners.filter((miner) => !this.tried.has(miner.uid));
    if (this.candidates.length === 0) {
      this.selectionExhausted = true;
      return undefined;
    }
    return this.candidates.shift();
  }

  private async hedgeLater(): Promise<void> {
    const delay = this.task.hedgeDelayMs;
    if (delay === undefined || this.task.maxAttempts < 2) return;
    await this.deps.timers.sleep(delay, this.stopHedge.signal);
    if (this.finished) return;
    await this.launch('hedge').catch(() => false);
    this.finishWhenNothingLeft();
  }

  private settle(attempt: number, miner: SelectedMiner, result: MinerCallResult): void {
    this.inFlight.delete(attempt);
    this.deps.metrics.minerCall('organic', this.task.taskType.name, result.outcome, result.latencyMs);
    if (result.outcome !== 'cancelled') {
      this.settled.push({ miner, result });
      this.reports.push(
        this.deps.directory.report({
          uid: miner.uid,
          hotkey: miner.hotkey,
          ok: result.outcome === 'ok',
          latencyMs: result.latencyMs,
        }),
      );
    }
    if (this.finished) return;
    if (result.outcome === 'ok') {
      if (this.streamOwner !== undefined && this.streamOwner !== attempt) return;
      this.winner = { miner, result };
      this.emitProgress('miner_answered', miner.uid, undefined);
      this.finish();
      return;
    }
    this.failures.push(`uid ${miner.uid} ${result.outcome}: ${result.error}`);
    if (this.streamOwner === attempt) {
      this.streamBroke = true;
      this.finish();
      return;
    }
    if (this.streamOwner !== undefined) return;
    this.launch('retry').then(
      () => {
        this.finishWhenNothingLeft();
      },
      () => {
        this.finishWhenNothingLeft();
      },
    );
  }

  private onChunk(attempt: number, data: string): void {
    if (this.finished) return;
    if (this.streamOwner === undefined) {
      this.streamOwner = attempt;
      this.stopHedge.abort();
      for (const [other, controller] of this.inFlight) if (other !== attempt) controller.abort();
    }
    if (this.streamOwner !== attempt) return;
    this.emitChunk(data, false);
  }

  private emitChunk(data: string, done: boolean): void {
    const event = { taskId: this.task.taskId, index: this.chunkIndex, data, done };
    this.chunkIndex += 1;
    this.eventChain = this.eventChain.then(() => this.deps.events.chunk(event));
  }

  private emitProgress(stage: TaskStage, minerUid: number, detail: string | undefined): void {
    const event = {
      taskId: this.task.taskId,
      stage,
      at: this.deps.clock(),
      minerUid,
      ...(detail === undefined ? {} : { detail: detail.slice(0, 500) }),
    };
    this.eventChain = this.eventChain.then(() => this.deps.events.progress(event));
  }

  private finishWhenNothingLeft(): void {
    if (!this.finished && this.inFlight.size === 0 && this.pendingLaunches === 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopHedge.abort();
    for (const controller of this.inFlight.values()) controller.abort();
    this.resolveDone();
  }
}
