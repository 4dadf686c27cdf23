import type { Clock } from '../ports';
import type { NewTask } from './task';
import type { InsertOutcome, TaskStore } from './task-store';

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

/**
 * Writes submissions in batches: the new tasks (price held, PENDING) and the QUEUED marks of tasks whose jobs were
 * queued, that arrive while earlier statements are busy, go into one statement and one commit. A quiet gateway
 * writes each at once; a busy one writes a statement per batch instead of two per task.
 */
export class SubmissionWriter {
  private readonly inserts: Pending<NewTask, InsertOutcome>[] = [];
  private readonly marks: Pending<string, Date>[] = [];
  private inFlight = 0;

  constructor(
    private readonly store: TaskStore,
    private readonly clock: Clock,
    private readonly options: SubmissionWriterOptions,
  ) {}

  /** Records a new task as PENDING with its price held. */
  insert(task: NewTask): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.inserts.push({ item: task, resolve, reject });
      this.drain();
    });
  }

  /** Marks a task QUEUED; resolves with the time recorded. */
  markQueued(taskId: string): Promise<Date> {
    return new Promise((resolve, reject) => {
      this.marks.push({ item: taskId, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && (this.inserts.length > 0 || this.marks.length > 0)) {
      const inserts = this.inserts.splice(0, this.options.maxBatch);
      const marks = this.marks.splice(0, this.options.maxBatch);
      const at = new Date(this.clock.now());
      this.inFlight += 1;
      this.store
        .recordSubmissions(
          inserts.map((pending) => pending.item),
          marks.map((pending) => pending.item),
          at,
        )
        .then(
          (outcomes) => {
            inserts.forEach((pending, index) => {
              const outcome = outcomes[index];
              if (outcome) pending.resolve(outcome);
              else pending.reject(new Error('the store gave fewer outcomes than it was given tasks'));
            });
            for (const pending of marks) pending.resolve(at);
          },
          (error: unknown) => {
            for (const pending of [...inserts, ...marks]) pending.reject(error);
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.drain();
        });
    }
  }
}
