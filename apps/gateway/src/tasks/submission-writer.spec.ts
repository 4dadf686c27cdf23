import { describe, expect, it } from 'vitest';
import { SubmissionWriter } from './submission-writer';
import type { NewTask } from './task';
import type { InsertOutcome, QueuedMark, TaskStore } from './task-store';

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

const at = (ms: number) => new Date(ms);

function recordingStore(gate?: Promise<void>) {
  const calls: { tasks: string[]; queued: string[] }[] = [];
  let failures = 0;
  const store = {
    async recordSubmissions(
      tasks: readonly NewTask[],
      queued: readonly QueuedMark[],
    ): Promise<InsertOutcome[]> {
      calls.push({
        tasks: tasks.map((item) => item.id),
        queued: queued.map((mark) => `${mark.taskId}@${mark.at.getTime()}`),
      });
      if (calls.length === 1) await gate;
      if (failures > 0) {
        failures -= 1;
        throw new Error('database away');
      }
      return tasks.map(() => ({ kind: 'inserted' }));
    },
  } as unknown as TaskStore;
  return { store, calls, fail: (times: number) => (failures = times) };
}

/** A promise and the function that settles it. */
function gate() {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('SubmissionWriter', () => {
  it('writes at once when idle, and puts what arrives meanwhile, tasks and QUEUED marks, in one statement', async () => {
    const first = gate();
    const { store, calls } = recordingStore(first.promise);
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    const inserted = writer.insert(task('a'));
    const rest = [writer.insert(task('b')), writer.insert(task('c'))];
    writer.markQueued('x', at(41));
    writer.markQueued('y', at(42));
    expect(calls).toEqual([{ tasks: ['a'], queued: [] }]);
    first.open();
    expect(await inserted).toEqual({ kind: 'inserted' });
    expect(await Promise.all(rest)).toEqual([{ kind: 'inserted' }, { kind: 'inserted' }]);
    expect(calls).toEqual([
      { tasks: ['a'], queued: [] },
      { tasks: ['b', 'c'], queued: ['x@41', 'y@42'] },
    ]);
  });

  it('writes a QUEUED mark on its own when no task follows it', async () => {
    const { store, calls } = recordingStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    writer.markQueued('x', at(7));
    await writer.marksWritten();
    expect(calls).toEqual([{ tasks: [], queued: ['x@7'] }]);
  });

  it('lets reads wait for the QUEUED marks given so far, and no longer', async () => {
    const first = gate();
    const { store, calls } = recordingStore(first.promise);
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    await writer.marksWritten();
    writer.markQueued('x', at(1));
    const inFlight = writer.marksWritten();
    writer.markQueued('y', at(2));
    const bothWritten = writer.marksWritten();
    let settled = '';
    void inFlight.then(() => (settled += 'x'));
    void bothWritten.then(() => (settled += 'y'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe('');
    first.open();
    await bothWritten;
    expect(settled).toBe('xy');
    expect(calls).toEqual([
      { tasks: [], queued: ['x@1'] },
      { tasks: [], queued: ['y@2'] },
    ]);
    await writer.marksWritten();
  });

  it('gives every task of a failed statement its error, tries its QUEUED marks again, and goes on', async () => {
    const { store, calls, fail } = recordingStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    fail(2);
    writer.markQueued('x', at(5));
    await expect(writer.insert(task('a'))).rejects.toThrow('database away');
    expect(await writer.insert(task('b'))).toEqual({ kind: 'inserted' });
    await writer.marksWritten();
    expect(calls).toEqual([
      { tasks: [], queued: ['x@5'] },
      { tasks: ['a'], queued: ['x@5'] },
      { tasks: [], queued: ['x@5'] },
      { tasks: ['b'], queued: [] },
    ]);
  });

  it('leaves a QUEUED mark to the maintenance sweep after three failed statements', async () => {
    const { store, calls, fail } = recordingStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    fail(5);
    writer.markQueued('x', at(9));
    for (let attempt = 0; attempt < 3; attempt++) await writer.marksWritten();
    await writer.marksWritten();
    expect(calls).toEqual([
      { tasks: [], queued: ['x@9'] },
      { tasks: [], queued: ['x@9'] },
      { tasks: [], queued: ['x@9'] },
    ]);
  });
});
