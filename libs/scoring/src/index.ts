/**
 * @vstack/scoring: the accuracy/speed scoring model, the dropout cap, per-miner moving scores and weights from
 * scores, as pure functions over plain data (the clock is passed in as `now` or `at`).
 */
export {
  applyDropout,
  DEFAULT_DROPOUT_WINDOW_MS,
  DEFAULT_MAX_SCORED_PER_WINDOW,
  type DropoutDecision,
  type DropoutOptions,
} from './dropout';
export { isScoringError, ScoringError, ScoringErrorCode } from './errors';
export {
  DEFAULT_EMA_ALPHA,
  DEFAULT_PRIOR,
  emptyMovingScores,
  type MinerMovingScores,
  type MinerScoreRow,
  type MovingScoreOptions,
  type MovingScores,
  movingScoreOf,
  type Neuron,
  recordScore,
  scoresForWeights,
  syncNeurons,
  type TaskMovingScore,
} from './moving-score';
export {
  combinedScore,
  DEFAULT_ACCURACY_WEIGHT,
  DEFAULT_SPEED_WEIGHT,
  type ResponseResult,
  type ResponseScore,
  type ResponseStatus,
  type ScoringProfile,
  scoringProfile,
  type ScoringProfileOptions,
  scoreResponse,
  speedScore,
} from './response-score';
export {
  computeWeights,
  DEFAULT_WEIGHT_FLOOR,
  maxWeightLimitOf,
  mixScores,
  type WeightOptions,
  type WeightsRefusal,
  type WeightsResult,
} from './weights';
