import { JobName, type SyntheticTaskPayload } from '@vstack/queues';
import { beforeEach, describe, expect, it } from 'vitest';
import { ValidatorErrorCode } from '../errors';
import {
  failure,
  FakeDirectory,
  FakeJobs,
  FakeMiners,
  ManualTime,
  minerOf,
  ok,
  settle,
  silentLogger,
  testMetrics,
  testSettings,
} from '../test-support';
import { SyntheticTaskService } from './synthetic-task.service';
import { TaskRelease } from './task-release';

function syntheticTask(overrides: Partial<SyntheticTaskPayload> = {}): SyntheticTaskPayload {
  return {
    taskId: 'syn-1',
    taskType: 'arithmetic',
    request: { operation: 'multiply', a: '6', b: '7' },
    createdAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('SyntheticTaskService', () => {
  let miners: FakeMiners;
  let directory: FakeDirectory;
  let jobs: FakeJobs;
  let release: TaskRelease;

  function service(syntheticMiners = 3): SyntheticTaskService {
    return new SyntheticTaskService(
      testSettings({ syntheticMiners }),
      directory,
      miners,
      jobs,
      new ManualTime().clock,
      release,
      testMetrics(),
      silentLogger,
    );
  }

  beforeEach(() => {
    miners = new FakeMiners();
    directory = new FakeDirectory([minerOf(1), minerOf(2), minerOf(3), minerOf(4)]);
    jobs = new FakeJobs();
    release = new TaskRelease();
  });

  it('asks k miners at once and sends every answer, failures included, to scoring', async () => {
    miners
      .script(1, ok({ result: '42' }, 15))
      .script(2, failure('timeout', 'no answer within 2000 ms', 2_000))
      .script(3, failure('invalid', 'does not match', 9, { answer: 42 }));
    const { outcome } = await service(3).handle(syntheticTask());

    expect(outcome).toBe('completed');
    expect(directory.selections).toEqual([{ taskType: 'arithmetic', count: 3, purpose: 'synthetic' }]);
    expect(miners.asked).toEqual([1, 2, 3]);
    expect(miners.calls.every((call) => !call.stream)).toBe(true);
    const scored = jobs.of(JobName.ScoreResponse);
    expect(scored.map((job) => job.jobId)).toEqual(['syn-1.1', 'syn-1.2', 'syn-1.3']);
    expect(scored.map((job) => job.payload)).toEqual([
      expect.objectContaining({
        responseId: 'syn-1.1',
        purpose: 'synthetic',
        minerUid: 1,
        minerHotkey: minerOf(1).hotkey,
        request: { operation: 'multiply', a: '6', b: '7' },
        response: { result: '42' },
        latencyMs: 15,
      }),
      expect.objectContaining({
        minerUid: 2,
        response: null,
        error: 'timeout: no answer within 2000 ms',
        latencyMs: 2_000,
      }),
      expect.objectContaining({ minerUid: 3, response: { answer: 42 } }),
    ]);
    expect(directory.reports.map((report) => [report.uid, report.ok, report.latencyMs])).toEqual([
      [1, true, 15],
      [2, false, 2_000],
      [3, false, 9],
    ]);
  });

  it('asks each miner once even when managing lists one twice', async () => {
    directory.miners = [minerOf(1), minerOf(1), minerOf(2)];
    miners.script(1, ok({ result: '42' })).script(2, ok({ result: '42' }));
    await service(3).handle(syntheticTask());
    expect(miners.asked).toEqual([1, 2]);
  });

  it('drops the challenge when managing has no miner for it', async () => {
    directory.miners = [];
    const { outcome } = await service().handle(syntheticTask());
    expect(outcome).toBe('no_miners');
    expect(jobs.jobs).toEqual([]);
  });

  it('drops a challenge of an unknown type or with an invalid request without asking anyone', async () => {
    await expect(service().handle(syntheticTask({ taskType: 'painting' }))).resolves.toMatchObject({
      outcome: 'invalid',
    });
    await expect(
      service().handle(syntheticTask({ request: { operation: 'divide' } })),
    ).resolves.toMatchObject({
      outcome: 'invalid',
    });
    expect(directory.selections).toEqual([]);
  });

  it('scores each miner once when the same task is handled twice', async () => {
    miners
      .script(1, ok({ result: '42' }))
      .script(2, ok({ result: '42' }))
      .script(3, ok({ result: '42' }));
    await service().handle(syntheticTask());
    await service().handle(syntheticTask());
    expect(jobs.of(JobName.ScoreResponse)).toHaveLength(3);
  });

  it('gives the task back, scoring nothing, when the validator stops mid-task', async () => {
    miners.script(1, ok({ result: '42' }));
    const handled = service(2).handle(syntheticTask());
    await settle();
    release.release();
    const error = await handled.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ValidatorErrorCode.TaskReleased });
    expect(jobs.jobs).toEqual([]);
    // The miner that answered is still reported: managing's view of its health does not depend on us stopping.
    expect(directory.reports.map((report) => report.uid)).toEqual([1]);
  });

  it('gives the task back when managing does not answer', async () => {
    directory.failWith = new Error('managing did not answer');
    await expect(service().handle(syntheticTask())).rejects.toThrow('managing did not answer');
  });
});
