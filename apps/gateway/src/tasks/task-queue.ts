import {
  JobName,
  type JobProducer,
  type OrganicTaskPayload,
  QueueError,
  type RemoveJobOutcome,
} from '@vstack/queues';

/** The organic-tasks queue (and the webhook queue) as the gateway uses them. */
export interface TaskQueue {
  /** Queues a task for the validator; its job id is the task id, so queuing twice is a no-op. */
  enqueue(payload: OrganicTaskPayload): Promise<void>;
  /** Takes a task's job back if no validator has taken it. */
  remove(taskId: string): Promise<RemoveJobOutcome>;
  /** True when the task's job is in the queue, in any state (waiting, taken, finished). */
  isQueued(taskId: string): Promise<boolean>;
  /** Queues the delivery of a finished task's webhook (once per task). */
  enqueueWebhook(taskId: string): Promise<void>;
}

/** The job id of a task's webhook delivery. */
export function webhookJobId(taskId: string): string {
  return `webhook-${taskId}`;
}

interface PendingJob {
  payload: OrganicTaskPayload;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The queues in Redis, through the stack's job producer. The tasks queued in one turn of the event loop (those whose
 * records one statement wrote) go to Redis in one round trip.
 */
export class BullTaskQueue implements TaskQueue {
  private pending: PendingJob[] = [];

  constructor(private readonly producer: JobProducer) {}

  enqueue(payload: OrganicTaskPayload): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ payload, resolve, reject });
      if (this.pending.length === 1) {
        setImmediate(() => {
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    const jobs = this.pending;
    this.pending = [];
    try {
      await this.producer.addMany(
        JobName.OrganicTask,
        jobs.map((job) => ({ payload: job.payload, options: { jobId: job.payload.taskId } })),
      );
    } catch (error) {
      if (!(error instanceof QueueError)) {
        for (const job of jobs) job.reject(error);
        return;
      }
      // An invalid job (checked before anything is sent) spoils only itself.
      await Promise.all(
        jobs.map((job) =>
          this.producer.add(JobName.OrganicTask, job.payload, { jobId: job.payload.taskId }).then(() => {
            job.resolve();
          }, job.reject),
        ),
      );
      return;
    }
    for (const job of jobs) job.resolve();
  }

  remove(taskId: string): Promise<RemoveJobOutcome> {
    return this.producer.remove(JobName.OrganicTask, taskId);
  }

  async isQueued(taskId: string): Promise<boolean> {
    return (await this.producer.state(JobName.OrganicTask, taskId)) !== 'unknown';
  }

  async enqueueWebhook(taskId: string): Promise<void> {
    await this.producer.add(JobName.DeliverWebhook, { taskId }, { jobId: webhookJobId(taskId) });
  }
}
