import { JobName } from '@vstack/queues';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Timers, WeightsSource } from '../ports';
import { TaskRelease } from '../tasks/task-release';
import { FakeJobs, hotkeys, silentLogger, testMetrics, testSettings } from '../test-support';
import { EpochWeightsService, WEIGHTS_RETRY_DELAYS_MS, weightsJobId } from './epoch-weights.service';

class ScriptedScoring implements WeightsSource {
  asked = 0;
  constructor(private readonly answers: (Record<string, number> | Error)[]) {}

  weights(): Promise<Record<string, number>> {
    this.asked += 1;
    const answer = this.answers.shift() ?? new Error('scoring did not answer scores.weights within 1000 ms');
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
}

describe('EpochWeightsService', () => {
  const epoch = { netuid: 1, epoch: 42, block: 2_562 };
  const weights = { [hotkeys[0]]: 0.75, [hotkeys[1]]: 0.25 };
  let jobs: FakeJobs;
  let slept: number[];
  let release: TaskRelease;
  const timers: Timers = {
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };

  function service(scoring: WeightsSource, identity?: string): EpochWeightsService {
    return new EpochWeightsService(
      testSettings({ netuid: 1, weightsIdentity: identity }),
      scoring,
      jobs,
      timers,
      testMetrics(),
      silentLogger,
      release,
    );
  }

  beforeEach(() => {
    jobs = new FakeJobs();
    slept = [];
    release = new TaskRelease();
  });

  it("enqueues scoring's vector under the job id scoring uses for the same epoch", async () => {
    const outcome = await service(new ScriptedScoring([weights]), 'sn1').onEpoch(epoch);
    expect(outcome).toEqual({ outcome: 'enqueued', jobId: 'weights-1-42', miners: 2 });
    expect(weightsJobId(1, 42)).toBe('weights-1-42');
    expect(jobs.of(JobName.SetWeights)).toEqual([
      { jobId: 'weights-1-42', payload: { netuid: 1, epoch: 42, weights, identity: 'sn1' } },
    ]);
  });

  it('adds one job per epoch however often the event comes', async () => {
    await service(new ScriptedScoring([weights])).onEpoch(epoch);
    await service(new ScriptedScoring([{ [hotkeys[2]]: 1 }])).onEpoch(epoch);
    expect(jobs.of(JobName.SetWeights)).toHaveLength(1);
  });

  it('ignores the epochs of other subnets', async () => {
    const scoring = new ScriptedScoring([weights]);
    expect(await service(scoring).onEpoch({ ...epoch, netuid: 2 })).toEqual({ outcome: 'ignored' });
    expect(scoring.asked).toBe(0);
  });

  it('asks scoring again, with growing pauses, until it answers', async () => {
    const scoring = new ScriptedScoring([new Error('timeout'), new Error('timeout'), weights]);
    await expect(service(scoring).onEpoch(epoch)).resolves.toMatchObject({ outcome: 'enqueued' });
    expect(scoring.asked).toBe(3);
    expect(slept).toEqual([1_000, 2_000]);
  });

  it('retries when Redis refuses the job', async () => {
    jobs.failWith = new Error('Connection is closed.');
    const outcome = service(new ScriptedScoring([weights, weights, weights, weights, weights])).onEpoch(
      epoch,
    );
    await expect(outcome).resolves.toMatchObject({ outcome: 'failed' });
    expect(slept).toEqual([...WEIGHTS_RETRY_DELAYS_MS]);
  });

  it('gives up after the last try and says why', async () => {
    const outcome = await service(new ScriptedScoring([])).onEpoch(epoch);
    expect(outcome).toEqual({
      outcome: 'failed',
      error: 'no weights job for netuid 1 epoch 42: scoring did not answer scores.weights within 1000 ms',
    });
    expect(jobs.jobs).toEqual([]);
  });

  it('sends nothing while scoring has no weights, so the weights on chain stay', async () => {
    expect(await service(new ScriptedScoring([{}])).onEpoch(epoch)).toEqual({ outcome: 'empty' });
    expect(await service(new ScriptedScoring([{ [hotkeys[0]]: 0 }])).onEpoch(epoch)).toEqual({
      outcome: 'empty',
    });
    expect(jobs.jobs).toEqual([]);
  });

  it('stops retrying when the validator stops', async () => {
    release.release();
    const scoring = new ScriptedScoring([new Error('timeout'), weights]);
    await expect(service(scoring).onEpoch(epoch)).resolves.toMatchObject({ outcome: 'failed' });
    expect(scoring.asked).toBe(1);
  });
});
