import { errorMessage, type RpcClient, type RpcResponse } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import { type Miner, minerKeyOf } from '../registry/miner-registry';

/** Where miner scores come from. */
export interface ScoresSource {
  /** Each scored miner's score for a task type; throws when scoring does not answer. */
  minerScores(taskType: string): Promise<RpcResponse<'scores.miners'>['scores']>;
}

/** The scoring service's scores over RPC (`scores.miners`). */
export class ScoringScoresSource implements ScoresSource {
  constructor(
    private readonly rpc: Pick<RpcClient, 'send'>,
    private readonly netuid: number,
    private readonly timeoutMs = 1_000,
  ) {}

  async minerScores(taskType: string): Promise<RpcResponse<'scores.miners'>['scores']> {
    const answer = await this.rpc.send(
      'scores.miners',
      { netuid: this.netuid, taskType },
      { timeoutMs: this.timeoutMs },
    );
    return answer.scores;
  }
}

/** Scores for one task type, as selection uses them. */
export interface ScoreView {
  /** True when scoring has not answered (yet): every miner counts the same. */
  uniform: boolean;
  /** The miner's score: 1 each when uniform, 0 for a miner scoring has not scored. */
  of(miner: Miner): number;
}

const UNIFORM: ScoreView = { uniform: true, of: () => 1 };

interface Entry {
  view: ScoreView;
  fetchedAt: number;
  fetching: Promise<void> | undefined;
}

export interface ScoreBookOptions {
  source: ScoresSource;
  /** Scores are asked for again once they are older than this. */
  refreshMs: number;
  logger: Logger;
  clock?: () => number;
}

/**
 * Miner scores per task type, asked from scoring in the background: selection never waits for scoring. Until
 * scoring answers, and whenever it does not, every miner counts the same; an answer with no miner scored counts
 * as no answer.
 */
export class ScoreBook {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private failing = false;

  constructor(private readonly options: ScoreBookOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The scores known now for `taskType`; asks scoring again in the background when they are stale. */
  scoresFor(taskType: string): ScoreView {
    const entry = this.entries.get(taskType);
    if (!entry || this.clock() - entry.fetchedAt >= this.options.refreshMs) void this.refresh(taskType);
    return entry?.view ?? UNIFORM;
  }

  /** The scores held for each task type scoring has answered for, without asking again. */
  known(): Map<string, ScoreView> {
    const known = new Map<string, ScoreView>();
    for (const [taskType, entry] of this.entries) if (!entry.view.uniform) known.set(taskType, entry.view);
    return known;
  }

  /** Asks scoring now; resolves once the answer (or the failure) is recorded. Never rejects. */
  refresh(taskType: string): Promise<void> {
    const entry = this.entries.get(taskType) ?? { view: UNIFORM, fetchedAt: 0, fetching: undefined };
    this.entries.set(taskType, entry);
    if (entry.fetching) return entry.fetching;
    entry.fetchedAt = this.clock();
    entry.fetching = this.fetch(taskType, entry).finally(() => {
      entry.fetching = undefined;
    });
    return entry.fetching;
  }

  private async fetch(taskType: string, entry: Entry): Promise<void> {
    try {
      const scores = await this.options.source.minerScores(taskType);
      const byKey = new Map(scores.map((score) => [minerKeyOf(score.uid, score.hotkey), score.score]));
      entry.view = byKey.size === 0 ? UNIFORM : { uniform: false, of: (miner) => byKey.get(miner.key) ?? 0 };
      if (this.failing) this.options.logger.info('scores: scoring answers again');
      this.failing = false;
    } catch (error) {
      entry.view = UNIFORM;
      if (!this.failing) {
        this.options.logger.warn(
          `scores: scoring did not answer for ${taskType} (${errorMessage(error)}); every miner counts the same until it does`,
        );
      }
      this.failing = true;
    }
  }
}
