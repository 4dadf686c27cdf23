import { describe, expect, it } from 'vitest';
import { SubmissionWriter } from './submission-writer';
import type { NewTask } from './task';
import type { InsertOutcome, TaskStore } from './task-store';

function task(id: string): NewTask {
  return {
    id,
    apiKeyId: 'k',
    taskType: 'arithmetic',
    priority: 'normal',
    input: {},
    priceCredits: 1,
    callbackUrl: null,
    idempotencyKey: null,
    requestHash: id,
    createdAt: new Date(0),
  };
}

function recordingStore(gate?: Promise<void>) {
  const calls: { tasks: string[]; queued: string[] }[] = [];
  let failNext = false;
  const store = {
    async recordSubmissions(tasks: readonly NewTask[], queued: readonly string[]): Promise<InsertOutcome[]> {
      calls.push({ tasks: tasks.map((item) => item.id), queued: [...queued] });
      if (calls.length === 1) await gate;
      if (failNext) {
        failNext = false;
        throw new Error('database away');
      }
      return tasks.map(() => ({ kind: 'inserted' }));
    },
  } as unknown as TaskStore;
  return { store, calls, failOnce: () => (failNext = true) };
}

describe('SubmissionWriter', () => {
  it('writes at once when idle, and puts what arrives meanwhile, tasks and QUEUED marks, in one statement', async () => {
    let open: () => void = () => undefined;
    const { store, calls } = recordingStore(new Promise<void>((resolve) => (open = resolve)));
    const writer = new SubmissionWriter(store, { now: () => 42 }, { maxBatch: 10, maxInFlight: 1 });
    const first = writer.insert(task('a'));
    const rest = [
      writer.insert(task('b')),
      writer.markQueued('x'),
      writer.insert(task('c')),
      writer.markQueued('y'),
    ];
    expect(calls).toEqual([{ tasks: ['a'], queued: [] }]);
    open();
    expect(await first).toEqual({ kind: 'inserted' });
    expect(await Promise.all(rest)).toEqual([
      { kind: 'inserted' },
      new Date(42),
      { kind: 'inserted' },
      new Date(42),
    ]);
    expect(calls).toEqual([
      { tasks: ['a'], queued: [] },
      { tasks: ['b', 'c'], queued: ['x', 'y'] },
    ]);
  });

  it('gives every submission of a failed statement its error, and goes on with the next', async () => {
    const { store, failOnce } = recordingStore();
    const writer = new SubmissionWriter(store, { now: () => 0 }, { maxBatch: 10, maxInFlight: 1 });
    failOnce();
    await expect(writer.insert(task('a'))).rejects.toThrow('database away');
    expect(await writer.insert(task('b'))).toEqual({ kind: 'inserted' });
  });
});
