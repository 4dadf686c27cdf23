import { assertInRange, invalidInput, invalidOptions } from './errors';

/** Weight of a new score in the moving average by default. */
export const DEFAULT_EMA_ALPHA = 0.1;
/** Moving score of a miner never scored for a task type, by default. */
export const DEFAULT_PRIOR = 0;

/** One miner's moving score for one task type. */
export interface TaskMovingScore {
  /** The exponential moving average of combined scores, in [0, 1]. */
  readonly value: number;
  /** How many scores went into it since the hotkey took the uid. */
  readonly samples: number;
  /** When the last score was added (unix ms). */
  readonly updatedAt: number;
}

/** The moving scores of the hotkey that holds a uid. */
export interface MinerMovingScores {
  readonly hotkey: string;
  /** By task type name. */
  readonly taskTypes: Readonly<Record<string, TaskMovingScore>>;
}

/** Moving scores of every miner, by uid: a plain object, safe to store as JSON. */
export interface MovingScores {
  readonly miners: Readonly<Record<number, MinerMovingScores>>;
}

export interface MovingScoreOptions {
  /** Weight of a new score, in (0, 1] (default 0.1): value ← alpha · score + (1 − alpha) · value. */
  alpha?: number;
  /** The value a miner starts from before its first score, in [0, 1] (default 0). */
  prior?: number;
}

/** A miner as the metagraph lists it. */
export interface Neuron {
  readonly uid: number;
  readonly hotkey: string;
}

/** Moving scores with no miner in them. */
export function emptyMovingScores(): MovingScores {
  return { miners: {} };
}

function resolve(options: MovingScoreOptions): { alpha: number; prior: number } {
  const alpha = options.alpha ?? DEFAULT_EMA_ALPHA;
  const prior = options.prior ?? DEFAULT_PRIOR;
  if (!(alpha > 0 && alpha <= 1)) throw invalidOptions(`alpha must be in (0, 1], got ${String(alpha)}`);
  assertInRange(prior, 0, 1, 'prior', invalidOptions);
  return { alpha, prior };
}

function assertUid(uid: number): void {
  if (!Number.isInteger(uid) || uid < 0 || uid > 65_535) throw invalidInput(`uid must be a u16, got ${uid}`);
}

/**
 * Adds one combined score to a miner's moving score for a task type. The first score of a hotkey starts from the
 * prior, so one lucky answer does not earn a newcomer full weight. A uid now held by another hotkey (the old one
 * was deregistered) starts over.
 */
export function recordScore(
  state: MovingScores,
  score: { uid: number; hotkey: string; taskType: string; score: number; at: number },
  options: MovingScoreOptions = {},
): MovingScores {
  const { alpha, prior } = resolve(options);
  assertUid(score.uid);
  assertInRange(score.score, 0, 1, 'score');
  assertInRange(score.at, -Number.MAX_VALUE, Number.MAX_VALUE, 'at');
  const current = state.miners[score.uid];
  const miner = current?.hotkey === score.hotkey ? current : { hotkey: score.hotkey, taskTypes: {} };
  const previous = miner.taskTypes[score.taskType];
  const value = alpha * score.score + (1 - alpha) * (previous?.value ?? prior);
  const next: TaskMovingScore = {
    value: Math.min(1, Math.max(0, value)),
    samples: (previous?.samples ?? 0) + 1,
    updatedAt: score.at,
  };
  return {
    miners: {
      ...state.miners,
      [score.uid]: { hotkey: miner.hotkey, taskTypes: { ...miner.taskTypes, [score.taskType]: next } },
    },
  };
}

/**
 * Brings the state in line with the metagraph: a uid whose hotkey changed (deregistration and a new
 * registration) loses its scores, and a uid no longer on the subnet is dropped. Returns the uids reset.
 */
export function syncNeurons(
  state: MovingScores,
  neurons: Iterable<Neuron>,
): { state: MovingScores; reset: number[] } {
  const hotkeyOf = new Map<number, string>();
  for (const neuron of neurons) hotkeyOf.set(neuron.uid, neuron.hotkey);
  const miners: Record<number, MinerMovingScores> = {};
  const reset: number[] = [];
  for (const [key, miner] of Object.entries(state.miners)) {
    const uid = Number(key);
    const hotkey = hotkeyOf.get(uid);
    if (hotkey === miner.hotkey) miners[uid] = miner;
    else reset.push(uid);
  }
  return { state: { miners }, reset };
}

/** A miner's moving score for a task type; the prior when that hotkey has none (never scored, or new on the uid). */
export function movingScoreOf(
  state: MovingScores,
  neuron: Neuron,
  taskType: string,
  options: MovingScoreOptions = {},
): number {
  const { prior } = resolve(options);
  const miner = state.miners[neuron.uid];
  if (miner?.hotkey !== neuron.hotkey) return prior;
  return miner.taskTypes[taskType]?.value ?? prior;
}

/** Per-miner, per-task-type scores for `computeWeights`, one row per neuron, with the prior where unscored. */
export function scoresForWeights(
  state: MovingScores,
  neurons: Iterable<Neuron>,
  taskTypes: readonly string[],
  options: MovingScoreOptions = {},
): MinerScoreRow[] {
  return Array.from(neurons, (neuron) => ({
    uid: neuron.uid,
    scores: Object.fromEntries(
      taskTypes.map((taskType) => [taskType, movingScoreOf(state, neuron, taskType, options)]),
    ),
  }));
}

/** One miner's scores by task type, as `computeWeights` takes them. */
export interface MinerScoreRow {
  readonly uid: number;
  readonly scores: Readonly<Record<string, number>>;
}
