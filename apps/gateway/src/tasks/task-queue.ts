import { JobName, type JobProducer, type OrganicTaskPayload, type RemoveJobOutcome } from '@vstack/queues';

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

/** The queues in Redis, through the stack's job producer. */
export class BullTaskQueue implements TaskQueue {
  constructor(private readonly producer: JobProducer) {}

  async enqueue(payload: OrganicTaskPayload): Promise<void> {
    await this.producer.add(JobName.OrganicTask, payload, { jobId: payload.taskId });
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
