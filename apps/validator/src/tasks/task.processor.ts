import { Injectable } from '@nestjs/common';
import {
  type JobContext,
  JobName,
  OnJob,
  type OrganicTaskPayload,
  type SyntheticTaskPayload,
} from '@vstack/queues';
import { OrganicTaskService } from './organic-task.service';
import { SyntheticTaskService } from './synthetic-task.service';

/** The handlers of the organic and synthetic task jobs. */
@Injectable()
export class TaskProcessor {
  constructor(
    private readonly organic: OrganicTaskService,
    private readonly synthetic: SyntheticTaskService,
  ) {}

  @OnJob(JobName.OrganicTask)
  async organicTask(payload: OrganicTaskPayload, job: JobContext<JobName.OrganicTask>): Promise<void> {
    await this.organic.handle(payload, job.attempt);
  }

  @OnJob(JobName.SyntheticTask)
  async syntheticTask(payload: SyntheticTaskPayload): Promise<void> {
    await this.synthetic.handle(payload);
  }
}
