import { JobName } from '@vstack/queues';
import { U16_MAX, withinMaxWeightLimit } from '@vstack/weights';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ScoringSettings } from '../settings';
import { MemoryScoreStore } from '../store/memory-score-store';
import type { MinerTaskScore } from '../store/score-store';
import { RecordingJobSender, settingsFor, silentLogger, StaticChainView, testMetrics } from '../test-support';
import { weightsJobId, WeightsService } from './weights.service';

const neurons = [
  { uid: 0, hotkey: '5Validator' },
  { uid: 1, hotkey: '5Alice' },
  { uid: 2, hotkey: '5Bob' },
  { uid: 3, hotkey: '5Carol' },
];

function taskScore(
  uid: number,
  taskType: string,
  score: number,
  hotkey = neurons[uid]?.hotkey ?? '',
): MinerTaskScore {
  return { uid, hotkey, taskType, score, samples: 10, unscored: 0, updatedAt: 1_000 };
}

describe('WeightsService', () => {
  let store: MemoryScoreStore;
  let chain: StaticChainView;
  let jobs: RecordingJobSender;

  function service(settings: ScoringSettings = settingsFor()): WeightsService {
    return new WeightsService(store, chain, jobs, settings, testMetrics().metrics, silentLogger());
  }

  function seed(...scores: MinerTaskScore[]): void {
    for (const score of scores) store.scores.set(`${score.uid}/${score.taskType}`, score);
  }

  beforeEach(() => {
    store = new MemoryScoreStore();
    chain = new StaticChainView(neurons);
    jobs = new RecordingJobSender();
  });

  it('sends the u16 vector by hotkey, in score order, once per subnet and epoch', async () => {
    seed(taskScore(1, 'arithmetic', 0.9), taskScore(2, 'arithmetic', 0.6), taskScore(3, 'arithmetic', 0.3));
    const weights = service(
      settingsFor({ SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=1', SCORING_IDENTITY: 'sn1' }),
    );
    const expected = { '5Alice': U16_MAX, '5Bob': 43_690, '5Carol': 21_845 };
    const outcome = await weights.onEpoch({ netuid: 1, epoch: 42, block: 2_600 });
    expect(outcome).toEqual({ outcome: 'enqueued', jobId: 'weights-1-42', weights: expected });
    expect(jobs.jobs.get(weightsJobId(1, 42))).toEqual({
      name: JobName.SetWeights,
      payload: {
        netuid: 1,
        epoch: 42,
        weights: expected,
        identity: 'sn1',
      },
    });
    await weights.onEpoch({ netuid: 1, epoch: 42, block: 2_600 });
    expect(jobs.jobs.size).toBe(1);
  });

  it('leaves the identity to the sidecar when none is configured, and ignores other subnets', async () => {
    seed(taskScore(1, 'arithmetic', 1));
    const weights = service();
    expect(await weights.onEpoch({ netuid: 2, epoch: 1, block: 10 })).toEqual({ outcome: 'ignored' });
    await weights.onEpoch({ netuid: 1, epoch: 1, block: 10 });
    expect(jobs.jobs.get('weights-1-1')?.payload).not.toHaveProperty('identity');
  });

  it('mixes task types by their configured shares', async () => {
    seed(
      taskScore(1, 'arithmetic', 1),
      taskScore(1, 'summarization', 0),
      taskScore(2, 'arithmetic', 0),
      taskScore(2, 'summarization', 1),
    );
    const weights = service(settingsFor({ SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=3,summarization=1' }));
    expect(await weights.current(1)).toEqual({ '5Alice': 0.75, '5Bob': 0.25 });
  });

  it("holds the subnet's max weight limit and gives MinAllowedWeights miners a weight", async () => {
    seed(taskScore(1, 'arithmetic', 1), taskScore(2, 'arithmetic', 0.01));
    chain.rules = { maxWeightsLimit: 26_214, minAllowedWeights: 4 };
    const outcome = await service().onEpoch({ netuid: 1, epoch: 3, block: 300 });
    if (outcome.outcome !== 'enqueued') throw new Error(outcome.outcome);
    const values = Object.values(outcome.weights);
    expect(Object.keys(outcome.weights)).toEqual(['5Validator', '5Alice', '5Bob', '5Carol']);
    expect(withinMaxWeightLimit(values, 26_214)).toBe(true);
    expect(outcome.weights['5Alice']).toBe(U16_MAX);
    expect(outcome.weights['5Bob']).toBeGreaterThan(outcome.weights['5Carol'] ?? 0);
  });

  it('drops the scores of a hotkey that lost its uid, and of uids that left the subnet', async () => {
    seed(
      taskScore(1, 'arithmetic', 1),
      taskScore(2, 'arithmetic', 0.5),
      taskScore(9, 'arithmetic', 1, '5Gone'),
    );
    chain.neuronList = [neurons[0]!, neurons[1]!, { uid: 2, hotkey: '5Newcomer' }];
    const outcome = await service().onEpoch({ netuid: 1, epoch: 5, block: 500 });
    expect(outcome).toMatchObject({ outcome: 'enqueued', weights: { '5Alice': U16_MAX } });
    expect(outcome).not.toHaveProperty('weights.5Newcomer');
    expect([...store.scores.values()].map((score) => score.hotkey)).toEqual(['5Alice']);
  });

  it('sends nothing while no miner has a score, so the weights on chain stay', async () => {
    seed({ ...taskScore(1, 'arithmetic', 0), samples: 0, unscored: 3 });
    expect(await service().onEpoch({ netuid: 1, epoch: 7, block: 700 })).toEqual({
      outcome: 'skipped',
      reason: 'no_scores',
    });
    expect(jobs.jobs.size).toBe(0);
    expect(await service().current(1)).toEqual({});
    chain.neuronList = [];
    expect(await service().onEpoch({ netuid: 1, epoch: 8, block: 800 })).toEqual({
      outcome: 'skipped',
      reason: 'no_miners',
    });
  });
});
