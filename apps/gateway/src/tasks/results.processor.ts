import { Injectable } from '@nestjs/common';
import {
  type DeliverWebhookPayload,
  jobDefinitions,
  type JobContext,
  JobName,
  OnJob,
  type OrganicResultPayload,
} from '@vstack/queues';
import { WebhookService } from '../webhooks/webhook.service';
import { TaskLifecycle } from './task-lifecycle.service';

/** The gateway's jobs: results from the validator, and webhook deliveries. */
@Injectable()
export class ResultsProcessor {
  constructor(
    private readonly lifecycle: TaskLifecycle,
    private readonly webhooks: WebhookService,
  ) {}

  @OnJob(JobName.OrganicResult)
  async result(payload: OrganicResultPayload): Promise<void> {
    await this.lifecycle.settle(payload);
  }

  @OnJob(JobName.DeliverWebhook)
  async webhook(payload: DeliverWebhookPayload, job: JobContext): Promise<void> {
    await this.webhooks.deliver(
      payload.taskId,
      job.attempt,
      jobDefinitions[JobName.DeliverWebhook].options.attempts,
    );
  }
}
