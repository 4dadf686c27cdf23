import { describe, expect, it } from 'vitest';
import { ScoringErrorCode } from './errors';
import {
  emptyMovingScores,
  type MovingScores,
  movingScoreOf,
  recordScore,
  scoresForWeights,
  syncNeurons,
} from './moving-score';

const alice = { uid: 1, hotkey: '5Alice' };
const bob = { uid: 2, hotkey: '5Bob' };

function record(state: MovingScores, score: number, neuron = alice, taskType = 'arithmetic', at = 1_000) {
  return recordScore(state, { ...neuron, taskType, score, at }, { alpha: 0.5, prior: 0.2 });
}

describe('moving scores', () => {
  it('starts from the prior and moves by alpha towards each new score', () => {
    let state = record(emptyMovingScores(), 1);
    expect(movingScoreOf(state, alice, 'arithmetic', { prior: 0.2 })).toBe(0.6);
    state = record(state, 1, alice, 'arithmetic', 2_000);
    expect(state.miners[1]?.taskTypes.arithmetic).toEqual({ value: 0.8, samples: 2, updatedAt: 2_000 });
    state = record(state, 0);
    expect(movingScoreOf(state, alice, 'arithmetic')).toBe(0.4);
  });

  it('keeps one moving score per task type', () => {
    const state = record(record(emptyMovingScores(), 1, alice, 'arithmetic'), 0, alice, 'summarization');
    expect(movingScoreOf(state, alice, 'arithmetic')).toBe(0.6);
    expect(movingScoreOf(state, alice, 'summarization')).toBeCloseTo(0.1, 12);
  });

  it('uses the default alpha of 0.1 and prior of 0', () => {
    const state = recordScore(emptyMovingScores(), { ...alice, taskType: 't', score: 1, at: 0 });
    expect(movingScoreOf(state, alice, 't')).toBeCloseTo(0.1, 12);
  });

  it('gives the prior to miners never seen', () => {
    expect(movingScoreOf(emptyMovingScores(), bob, 'arithmetic', { prior: 0.3 })).toBe(0.3);
  });

  it('starts over when a uid changes hotkey', () => {
    const state = record(emptyMovingScores(), 1);
    const newcomer = { uid: 1, hotkey: '5Carol' };
    expect(movingScoreOf(state, newcomer, 'arithmetic', { prior: 0.2 })).toBe(0.2);
    const after = record(state, 0, newcomer);
    expect(after.miners[1]).toEqual({
      hotkey: '5Carol',
      taskTypes: { arithmetic: { value: 0.1, samples: 1, updatedAt: 1_000 } },
    });
  });

  it('does not change the state it is given', () => {
    const state = record(emptyMovingScores(), 1);
    const snapshot = structuredClone(state);
    record(record(state, 0), 1, bob);
    syncNeurons(state, []);
    expect(state).toEqual(snapshot);
  });

  it('drops deregistered hotkeys and uids that left the metagraph', () => {
    const state = record(record(record(emptyMovingScores(), 1), 1, bob), 1, { uid: 3, hotkey: '5Dave' });
    const synced = syncNeurons(state, [alice, { uid: 2, hotkey: '5Erin' }]);
    expect(synced.reset).toEqual([2, 3]);
    expect(Object.keys(synced.state.miners)).toEqual(['1']);
  });

  it('lists every neuron for the weights, with the prior where unscored', () => {
    const state = record(emptyMovingScores(), 1);
    expect(scoresForWeights(state, [alice, bob], ['arithmetic', 'summarization'], { prior: 0.2 })).toEqual([
      { uid: 1, scores: { arithmetic: 0.6, summarization: 0.2 } },
      { uid: 2, scores: { arithmetic: 0.2, summarization: 0.2 } },
    ]);
  });

  it('refuses scores outside [0, 1], bad uids and bad options', () => {
    const state = emptyMovingScores();
    expect(() => record(state, 1.5)).toThrow(
      expect.objectContaining({ code: ScoringErrorCode.InvalidInput }),
    );
    expect(() => record(state, 1, { uid: -1, hotkey: 'x' })).toThrow(/u16/);
    expect(() => recordScore(state, { ...alice, taskType: 't', score: 1, at: 0 }, { alpha: 0 })).toThrow(
      expect.objectContaining({ code: ScoringErrorCode.InvalidOptions }),
    );
    expect(() => movingScoreOf(state, alice, 't', { prior: 2 })).toThrow(/prior/);
  });
});
