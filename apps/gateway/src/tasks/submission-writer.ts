import type { NewTask } from './task';
import type { InsertOutcome, QueuedMark, TaskStore } from './task-store';

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** How a SubmissionWriter groups its writes. */
export interface SubmissionWriterOptions {
  /** Most new tasks, and most QUEUED marks, in one statement. */
  maxBatch: number;
  /** Statements at the same time; what arrives while all are busy goes into the next one. */
  maxInFlight: number;
}

/** Statements a QUEUED mark may fail in before it is left to the maintenance sweep. */
const MARK_ATTEMPTS = 3;

interface WaitingMark extends QueuedMark {
  /** Order of arrival: the marks given before a read are those with a lower number. */
  seq: number;
  attempts: number;
}

/**
 * Writes submissions in batches: the new tasks (price held, PENDING) and the QUEUED marks of tasks whose jobs were
 * queued, that arrive while earlier statements are busy, go into one statement and one commit. A quiet gateway
 * writes each at once; a busy one writes a statement per batch instead of two per task.
 *
 * A submission waits for its task's record, not for its QUEUED mark: the mark goes with the next statement, so a
 * client has its 202 one commit sooner. Reads that must see the marks given so far wait for `marksWritten()`.
 */
export class SubmissionWriter {
  private readonly inserts: Pending<NewTask, InsertOutcome>[] = [];
  private marks: WaitingMark[] = [];
  private inFlight = 0;
  /** The marks of the statements in flight, each in arrival order. */
  private readonly markBatches = new Set<WaitingMark[]>();
  private lastSeq = 0;
  /** Reads waiting for every mark up to `upTo` to be written or given up. */
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(
    private readonly store: TaskStore,
    private readonly options: SubmissionWriterOptions,
  ) {}

  /** Records a new task as PENDING with its price held. */
  insert(task: NewTask): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.inserts.push({ item: task, resolve, reject });
      this.drain();
    });
  }

  /** Marks a task QUEUED as of `at` (when its job went into the queue), with the next statement. */
  markQueued(taskId: string, at: Date): void {
    this.lastSeq += 1;
    this.marks.push({ taskId, at, seq: this.lastSeq, attempts: 0 });
    this.drain();
  }

  /**
   * Settles once every QUEUED mark given so far has been written, or has failed in all its attempts (the
   * maintenance sweep marks those later). At once when none is waiting; marks given later do not hold it up.
   */
  marksWritten(): Promise<void> {
    if (this.oldestUnwritten() > this.lastSeq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.lastSeq, resolve }));
  }

  /** The number of the oldest mark not yet written (or given up); past `lastSeq` when there is none. */
  private oldestUnwritten(): number {
    let oldest = this.marks[0]?.seq ?? Infinity;
    for (const batch of this.markBatches) oldest = Math.min(oldest, batch[0]?.seq ?? Infinity);
    return oldest;
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && (this.inserts.length > 0 || this.marks.length > 0)) {
      const inserts = this.inserts.splice(0, this.options.maxBatch);
      const marks = this.marks.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      this.markBatches.add(marks);
      this.store
        .recordSubmissions(
          inserts.map((pending) => pending.item),
          marks,
        )
        .then(
          (outcomes) => {
            inserts.forEach((pending, index) => {
              const outcome = outcomes[index];
              if (outcome) pending.resolve(outcome);
              else pending.reject(new Error('the store gave fewer outcomes than it was given tasks'));
            });
          },
          (error: unknown) => {
            for (const pending of inserts) pending.reject(error);
            // Failed marks go back in front of the others, so the waiting marks stay in arrival order.
            const again = marks.filter((mark) => ++mark.attempts < MARK_ATTEMPTS);
            this.marks = [...again, ...this.marks];
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.markBatches.delete(marks);
          this.wakeReaders();
          this.drain();
        });
    }
  }

  private wakeReaders(): void {
    const oldest = this.oldestUnwritten();
    const waiting = this.waiters;
    this.waiters = waiting.filter((waiter) => waiter.upTo >= oldest);
    for (const waiter of waiting) if (waiter.upTo < oldest) waiter.resolve();
  }
}
