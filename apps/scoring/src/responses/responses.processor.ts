import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vstack/observability';
import { type JobContext, JobName, type JobOf, OnJob } from '@vstack/queues';
import { SERVICE_LOGGER } from '@vstack/runtime';
import { ResponsesService } from './responses.service';

/** The handler of score jobs (the scoring queue). */
@Injectable()
export class ResponsesProcessor {
  constructor(
    private readonly responses: ResponsesService,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  @OnJob(JobName.ScoreResponse)
  async scoreResponse(
    payload: JobOf<JobName.ScoreResponse>,
    job: JobContext<JobName.ScoreResponse>,
  ): Promise<void> {
    const result = await this.responses.score(payload);
    this.logger.debug(
      {
        responseId: payload.responseId,
        uid: payload.minerUid,
        taskType: payload.taskType,
        attempt: job.attempt,
        outcome: result.outcome,
        ...(result.outcome === 'scored' ? { score: result.score.combined } : {}),
      },
      'score job done',
    );
  }
}
