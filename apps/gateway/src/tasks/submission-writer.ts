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
  /** Statements in flight that carry marks. */
  private readonly markStatements = new Set<Promise<void>>();
  /** Settles when the statement that takes the last of the waiting marks ends. */
  private nextMarks: { promise: Promise<void>; resolve: () => void } | undefined;

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
    this.marks.push({ taskId, at, attempts: 0 });
    this.drain();
  }

  /**
   * Settles once every QUEUED mark given so far has been written, or has failed for good (the maintenance sweep
   * marks those later). At once when none is waiting.
   */
  marksWritten(): Promise<void> {
    const waits = [...this.markStatements];
    if (this.marks.length > 0) {
      if (!this.nextMarks) {
        let resolve: () => void = () => undefined;
        const promise = new Promise<void>((settle) => (resolve = settle));
        this.nextMarks = { promise, resolve };
      }
      waits.push(this.nextMarks.promise);
    }
    if (waits.length === 0) return Promise.resolve();
    return Promise.all(waits).then(() => undefined);
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && (this.inserts.length > 0 || this.marks.length > 0)) {
      const inserts = this.inserts.splice(0, this.options.maxBatch);
      const marks = this.marks.splice(0, this.options.maxBatch);
      const lastMarks = marks.length > 0 && this.marks.length === 0 ? this.nextMarks : undefined;
      if (lastMarks) this.nextMarks = undefined;
      this.inFlight += 1;
      const statement = this.store
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
            const again = marks.filter((mark) => ++mark.attempts < MARK_ATTEMPTS);
            this.marks = [...again, ...this.marks];
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.markStatements.delete(statement);
          lastMarks?.resolve();
          this.drain();
        });
      if (marks.length > 0) this.markStatements.add(statement);
    }
  }
}
