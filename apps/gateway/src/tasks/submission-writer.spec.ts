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

interface Statement {
  call: string;
  succeed: () => void;
  fail: () => void;
}

/** A store whose statements end when the test says so. Each call reads "tasks | marks". */
function manualStore() {
  const statements: Statement[] = [];
  const store = {
    recordSubmissions: (tasks: readonly NewTask[], marks: readonly QueuedMark[]): Promise<InsertOutcome[]> =>
      new Promise<InsertOutcome[]>((resolve, reject) => {
        const call = `${tasks.map((item) => item.id).join(' ')} | ${marks
          .map((mark) => `${mark.taskId}@${mark.at.getTime()}`)
          .join(' ')}`;
        statements.push({
          call: call.trim(),
          succeed: () => {
            resolve(tasks.map(() => ({ kind: 'inserted' })));
          },
          fail: () => {
            reject(new Error('database away'));
          },
        });
      }),
  } as unknown as TaskStore;
  /** The statement started `index`-th (0 first), once it has started. */
  const statement = async (index: number): Promise<Statement> => {
    for (let turns = 0; turns < 100 && statements.length <= index; turns++) await Promise.resolve();
    const found = statements[index];
    if (!found)
      throw new Error(`statement ${index} never started (${statements.map((s) => s.call).join(', ')})`);
    return found;
  };
  return { store, statement, calls: () => statements.map((s) => s.call) };
}

/** Whether a promise has settled, once pending callbacks have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('SubmissionWriter', () => {
  it('writes at once when idle, and puts what arrives meanwhile, tasks and QUEUED marks, in one statement', async () => {
    const { store, statement, calls } = manualStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    const first = writer.insert(task('a'));
    const rest = Promise.all([writer.insert(task('b')), writer.insert(task('c'))]);
    writer.markQueued('x', at(41));
    writer.markQueued('y', at(42));
    expect(calls()).toEqual(['a |']);
    (await statement(0)).succeed();
    expect(await first).toEqual({ kind: 'inserted' });
    (await statement(1)).succeed();
    expect(await rest).toEqual([{ kind: 'inserted' }, { kind: 'inserted' }]);
    expect(calls()).toEqual(['a |', 'b c | x@41 y@42']);
  });

  it('writes a QUEUED mark on its own when no task follows it', async () => {
    const { store, statement, calls } = manualStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    writer.markQueued('x', at(7));
    const read = writer.marksWritten();
    (await statement(0)).succeed();
    await read;
    expect(calls()).toEqual(['| x@7']);
  });

  it('lets a read wait for the QUEUED marks given before it, and not for later ones', async () => {
    const { store, statement } = manualStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    expect(await isSettled(writer.marksWritten())).toBe(true);
    writer.markQueued('x', at(1));
    writer.markQueued('y', at(2));
    const afterXY = writer.marksWritten();
    writer.markQueued('z', at(3));
    expect(await isSettled(afterXY)).toBe(false);
    (await statement(0)).succeed(); // x
    expect(await isSettled(afterXY)).toBe(false);
    (await statement(1)).succeed(); // y z
    expect(await isSettled(afterXY)).toBe(true);
  });

  it('gives every task of a failed statement its error, and goes on with the next', async () => {
    const { store, statement } = manualStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    const failed = writer.insert(task('a'));
    (await statement(0)).fail();
    await expect(failed).rejects.toThrow('database away');
    const next = writer.insert(task('b'));
    (await statement(1)).succeed();
    expect(await next).toEqual({ kind: 'inserted' });
  });

  it('tries a QUEUED mark in three statements before leaving it to the maintenance sweep', async () => {
    const { store, statement, calls } = manualStore();
    const writer = new SubmissionWriter(store, { maxBatch: 10, maxInFlight: 1 });
    writer.markQueued('x', at(5));
    const read = writer.marksWritten();
    (await statement(0)).fail();
    expect(await isSettled(read)).toBe(false);
    (await statement(1)).fail();
    writer.markQueued('y', at(6));
    expect(await isSettled(read)).toBe(false);
    (await statement(2)).fail();
    expect(await isSettled(read)).toBe(true);
    (await statement(3)).succeed();
    expect(calls()).toEqual(['| x@5', '| x@5', '| x@5 y@6', '| y@6']);
  });
});
