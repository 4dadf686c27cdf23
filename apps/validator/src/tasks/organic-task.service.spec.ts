import { SelectionReasonCode } from '@vstack/contracts';
import { JobName, type OrganicTaskPayload } from '@vstack/queues';
import { beforeEach, describe, expect, it } from 'vitest';
import { ValidatorError, ValidatorErrorCode } from '../errors';
import type { ValidatorSettings } from '../settings';
import {
  failure,
  FakeDirectory,
  FakeEvents,
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
import { OrganicTaskService, wantsStream } from './organic-task.service';
import { TaskRelease } from './task-release';

const answer = { result: '3' };

function organicTask(overrides: Partial<OrganicTaskPayload> = {}): OrganicTaskPayload {
  return {
    taskId: 'task-1',
    taskType: 'arithmetic',
    request: { operation: 'add', a: '1', b: '2' },
    priority: 'normal',
    submittedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const chatRequest = {
  model: 'vstack-reference',
  messages: [{ role: 'user', content: 'Say hi.' }],
  stream: true,
};

const completion = {
  id: 'c-1',
  object: 'chat.completion',
  model: 'vstack-reference',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }],
};

describe('OrganicTaskService', () => {
  let time: ManualTime;
  let miners: FakeMiners;
  let directory: FakeDirectory;
  let events: FakeEvents;
  let jobs: FakeJobs;
  let release: TaskRelease;
  let draws: number[];

  function service(settings: Partial<ValidatorSettings> = {}): OrganicTaskService {
    return new OrganicTaskService(
      testSettings(settings),
      directory,
      miners,
      events,
      jobs,
      time.clock,
      time.timers,
      () => draws.shift() ?? 0.5,
      release,
      testMetrics(),
      silentLogger,
    );
  }

  beforeEach(() => {
    time = new ManualTime();
    miners = new FakeMiners();
    directory = new FakeDirectory([minerOf(1), minerOf(2), minerOf(3), minerOf(4)]);
    events = new FakeEvents();
    jobs = new FakeJobs();
    release = new TaskRelease();
    draws = [];
  });

  it("answers the caller with the first miner's valid answer, under the task id", async () => {
    miners.script(1, ok(answer, 42));
    const { outcome, result } = await service().handle(organicTask(), 1);

    expect(outcome).toBe('completed');
    expect(result).toMatchObject({
      taskId: 'task-1',
      status: 'completed',
      result: answer,
      minerUid: 1,
      minerHotkey: minerOf(1).hotkey,
      attempts: 1,
      latencyMs: 42,
    });
    expect(jobs.of(JobName.OrganicResult)).toEqual([{ jobId: 'task-1', payload: result }]);
    expect(directory.selections).toEqual([{ taskType: 'arithmetic', count: 1, purpose: 'organic' }]);
    expect(directory.reports).toEqual([{ uid: 1, hotkey: minerOf(1).hotkey, ok: true, latencyMs: 42 }]);
    expect(events.stages()).toEqual(['processing', 'miner_selected:1', 'miner_answered:1']);
    expect(miners.calls[0]?.request).toEqual({ operation: 'add', a: '1', b: '2' });
  });

  it('hedges to a second miner when the first has not answered after its share of the timeout', async () => {
    const handled = service({ hedgeDelayShare: 0.25 }).handle(organicTask(), 1);
    await settle();
    expect(miners.asked).toEqual([1]);

    await time.advance(499); // arithmetic times out after 2000 ms: the hedge comes at 500 ms
    expect(miners.asked).toEqual([1]);
    await time.advance(1);
    expect(miners.asked).toEqual([1, 2]);
    expect(directory.selections.map((selection) => selection.count)).toEqual([1, 2]);

    miners.answer(2, ok(answer, 30));
    const { result } = await handled;
    expect(result).toMatchObject({ status: 'completed', minerUid: 2, attempts: 2 });
    // The first miner's call was cancelled: not its fault, so not reported and not scored.
    expect(miners.waiting).toEqual([]);
    expect(directory.reports.map((report) => report.uid)).toEqual([2]);
    expect(jobs.of(JobName.ScoreResponse).map((job) => job.jobId)).toEqual(['task-1.2']);
    expect(events.stages()).toEqual(['processing', 'miner_selected:1', 'hedged:2', 'miner_answered:2']);
  });

  it('does not hedge when hedging is off, and keeps the first answer when it beats the hedge', async () => {
    const handled = service({ hedgeDelayShare: 1 }).handle(organicTask(), 1);
    await settle();
    await time.advance(1_900);
    expect(miners.asked).toEqual([1]);
    miners.answer(1, ok(answer));
    await expect(handled).resolves.toMatchObject({ outcome: 'completed' });
    expect(time.sleeping).toBe(0);
  });

  it('retries on another miner at once when a call fails, never the same miner twice', async () => {
    miners.script(1, failure('http_error', 'HTTP 500')).script(2, failure('invalid', 'not JSON'));
    miners.script(3, ok(answer));
    const { result } = await service().handle(organicTask(), 1);

    expect(miners.asked).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ status: 'completed', minerUid: 3, attempts: 3 });
    expect(directory.selections.map((selection) => selection.count)).toEqual([1, 2, 3]);
    expect(directory.reports.map((report) => [report.uid, report.ok])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(events.stages()).toEqual([
      'processing',
      'miner_selected:1',
      'retrying:2',
      'retrying:3',
      'miner_answered:3',
    ]);
    expect(events.progressEvents[2]?.detail).toBe('uid 1 http_error: HTTP 500');
  });

  it('fails the task after the configured number of miners, naming what each did', async () => {
    for (const uid of [1, 2, 3, 4]) miners.script(uid, failure('timeout', 'no answer within 2000 ms'));
    const { outcome, result } = await service({ organicAttempts: 3 }).handle(organicTask(), 1);

    expect(outcome).toBe('failed');
    expect(miners.asked).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ status: 'failed', attempts: 3 });
    expect(result.error).toBe(
      'no valid answer from 3 miner(s): uid 1 timeout: no answer within 2000 ms; ' +
        'uid 2 timeout: no answer within 2000 ms; uid 3 timeout: no answer within 2000 ms',
    );
    expect(jobs.of(JobName.OrganicResult)).toHaveLength(1);
  });

  it('fails after one attempt when managing has no other miner', async () => {
    directory.miners = [minerOf(1)];
    miners.script(1, failure('unreachable', 'ECONNREFUSED'));
    const { result } = await service().handle(organicTask(), 1);
    expect(miners.asked).toEqual([1]);
    expect(result).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('gives the job back when managing has no miner, and answers the caller on the last attempt', async () => {
    directory.miners = [];
    directory.reason = { reason: 'no quota left', reasonCode: SelectionReasonCode.QuotaExhausted };
    const error = await service()
      .handle(organicTask(), 1)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidatorError);
    expect((error as ValidatorError).code).toBe(ValidatorErrorCode.NoMiners);
    expect(jobs.jobs).toEqual([]);

    const { outcome, result } = await service().handle(organicTask(), 3);
    expect(outcome).toBe('no_miners');
    expect(result).toMatchObject({
      status: 'failed',
      error: 'no miner available: quota_exhausted',
      attempts: 0,
    });
    expect(jobs.of(JobName.OrganicResult)).toHaveLength(1);
  });

  it('gives the job back when managing does not answer, so BullMQ runs it again', async () => {
    directory.failWith = new Error('managing did not answer miners.select within 1000 ms');
    await expect(service().handle(organicTask(), 1)).rejects.toThrow('within 1000 ms');
    expect(jobs.jobs).toEqual([]);
  });

  it('fails an unknown task type or an invalid request at once, without asking a miner', async () => {
    const unknown = await service().handle(organicTask({ taskType: 'painting' }), 1);
    expect(unknown.outcome).toBe('invalid');
    expect(unknown.result.error).toBe('unknown task type "painting"');
    const invalid = await service().handle(organicTask({ taskId: 'task-2', request: { a: '1' } }), 1);
    expect(invalid.result.status).toBe('failed');
    expect(invalid.result.error).toMatch(/^invalid arithmetic request/);
    expect(miners.calls).toEqual([]);
    expect(jobs.of(JobName.OrganicResult).map((job) => job.jobId)).toEqual(['task-1', 'task-2']);
  });

  it("sends every miner's answer of a sampled task to scoring, failures included", async () => {
    miners.script(1, failure('invalid', 'does not match', 12, { result: 3 })).script(2, ok(answer, 20));
    draws = [0.5]; // scoring share 1: sampled
    await service({ organicScoringShare: 1 }).handle(organicTask(), 1);

    const scored = jobs.of(JobName.ScoreResponse);
    expect(scored.map((job) => job.jobId)).toEqual(['task-1.1', 'task-1.2']);
    expect(scored[0]?.payload).toMatchObject({
      purpose: 'organic',
      minerUid: 1,
      response: { result: 3 },
      latencyMs: 12,
      request: { operation: 'add', a: '1', b: '2' },
    });
    expect(scored[0]?.payload.error).toBeUndefined();
    expect(scored[1]?.payload).toMatchObject({ minerUid: 2, response: answer });
  });

  it('sends nothing to scoring when the task is not in the sampled share', async () => {
    miners.script(1, ok(answer));
    draws = [0.3];
    await service({ organicScoringShare: 0.25 }).handle(organicTask(), 1);
    expect(jobs.of(JobName.ScoreResponse)).toEqual([]);
  });

  it("publishes a sampled completed request without the caller's task id", async () => {
    miners.script(1, ok(answer));
    draws = [0.9, 0.05];
    await service({ organicScoringShare: 0.5, organicSampleShare: 0.1 }).handle(
      organicTask({ request: { operation: 'add', a: '1', b: '2', caller: 'x' } }),
      1,
    );
    expect(events.samples).toHaveLength(1);
    const [sample] = events.samples;
    expect(sample).toMatchObject({ taskType: 'arithmetic', request: { operation: 'add', a: '1', b: '2' } });
    expect(JSON.stringify(sample)).not.toContain('task-1');
    expect(sample?.sampleId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not sample a failed task', async () => {
    directory.miners = [minerOf(1)];
    miners.script(1, failure('http_error', 'HTTP 500'));
    draws = [0.9, 0];
    await service({ organicSampleShare: 1 }).handle(organicTask(), 1);
    expect(events.samples).toEqual([]);
  });

  describe('streamed answers', () => {
    const streamTask = organicTask({ taskType: 'text-generation', request: chatRequest });

    it('tells a stream request apart', () => {
      expect(wantsStream('text-generation', chatRequest)).toBe(true);
      expect(wantsStream('text-generation', { ...chatRequest, stream: false })).toBe(false);
      expect(wantsStream('arithmetic', { stream: true })).toBe(false);
    });

    it("relays the first streaming miner's chunks in order, cancels the hedge and ends with [DONE]", async () => {
      const handled = service({ hedgeDelayShare: 0.1 }).handle(streamTask, 1);
      await settle();
      expect(miners.calls[0]?.stream).toBe(true);
      expect(miners.calls[0]?.request).not.toHaveProperty('stream');
      await time.advance(3_000); // the hedge: text-generation's 30 s timeout times 0.1
      expect(miners.asked).toEqual([1, 2]);

      miners.chunk(2, '{"choices":[{"delta":{"content":"hi"}}]}');
      await settle();
      expect(miners.waiting).toEqual([2]); // the first miner's call was cancelled
      miners.chunk(2, '{"choices":[{"delta":{"content":" there"}}]}');
      miners.answer(2, ok(completion, 900, true));
      const { result } = await handled;

      expect(result).toMatchObject({ status: 'completed', minerUid: 2, result: completion });
      expect(events.chunks).toEqual([
        { taskId: 'task-1', index: 0, data: '{"choices":[{"delta":{"content":"hi"}}]}', done: false },
        { taskId: 'task-1', index: 1, data: '{"choices":[{"delta":{"content":" there"}}]}', done: false },
        { taskId: 'task-1', index: 2, data: '[DONE]', done: true },
      ]);
    });

    it('turns a whole answer into one chunk when the miner did not stream', async () => {
      miners.script(1, ok(completion, 50, false));
      await service().handle(streamTask, 1);
      expect(events.chunks.map((chunk) => chunk.done)).toEqual([false, true]);
      expect(JSON.parse(events.chunks[0]?.data ?? '')).toEqual({
        id: 'c-1',
        object: 'chat.completion.chunk',
        model: 'vstack-reference',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }],
      });
    });

    it('fails the task when the stream breaks off, without another miner', async () => {
      const handled = service().handle(streamTask, 1);
      await settle();
      miners.chunk(1, '{"choices":[{"delta":{"content":"hi"}}]}');
      miners.answer(1, failure('unreachable', 'socket hang up'));
      const { result } = await handled;
      expect(miners.asked).toEqual([1]);
      expect(result).toMatchObject({ status: 'failed', attempts: 1 });
      expect(result.error).toBe("the miner's stream broke off: uid 1 unreachable: socket hang up");
      expect(events.chunks.map((chunk) => chunk.done)).toEqual([false]);
    });
  });

  describe('when the validator stops', () => {
    it('cancels the calls in hand and gives the job back without answering the caller', async () => {
      const handled = service().handle(organicTask(), 1);
      await settle();
      release.release();
      const error = await handled.catch((caught: unknown) => caught);
      expect((error as ValidatorError).code).toBe(ValidatorErrorCode.TaskReleased);
      expect(miners.waiting).toEqual([]);
      expect(jobs.jobs).toEqual([]);
      expect(directory.reports).toEqual([]);
    });

    it('answers the caller with a failure when it was the last attempt', async () => {
      release.release();
      const { outcome, result } = await service().handle(organicTask(), 3);
      expect(outcome).toBe('released');
      expect(result).toMatchObject({ status: 'failed', attempts: 0 });
      expect(result.error).toMatch(/validator is stopping/);
    });
  });

  it('answers a task handled twice once: the result is keyed by the task id', async () => {
    miners.script(1, ok(answer, 5)).script(2, ok({ result: '4' }, 5));
    await service().handle(organicTask(), 1);
    directory.miners = [minerOf(2)];
    await service().handle(organicTask(), 1);
    expect(jobs.of(JobName.OrganicResult)).toHaveLength(1);
    expect(jobs.of(JobName.OrganicResult)[0]?.payload.minerUid).toBe(1);
  });
});
