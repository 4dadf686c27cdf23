import { describe, expect, it } from 'vitest';
import { QueueError, QueueErrorCode } from './errors';
import { type JobContext, JobHandlerRegistry, OnJob } from './handlers';
import { JobName, type OrganicTaskPayload, QueueName, type SyntheticTaskPayload } from './jobs';

class ScoringProcessor {
  readonly seen: string[] = [];

  @OnJob(JobName.ScoreResponse)
  scoreResponse(payload: { responseId: string }, job: JobContext<JobName.ScoreResponse>): void {
    this.seen.push(`${job.name}:${payload.responseId}`);
  }
}

class OtherScoringProcessor {
  @OnJob(JobName.ScoreResponse)
  async score(): Promise<void> {
    await Promise.resolve();
  }
}

function failure(run: () => unknown): QueueError {
  try {
    run();
  } catch (error) {
    if (error instanceof QueueError) return error;
    throw error;
  }
  throw new Error('expected a QueueError');
}

describe('JobHandlerRegistry', () => {
  it('finds @OnJob methods and binds them to their instance', async () => {
    const processor = new ScoringProcessor();
    const handler = new JobHandlerRegistry()
      .registerFrom(processor)
      .handlersFor(QueueName.Scoring)
      .get(JobName.ScoreResponse);
    const context = { id: 'r-1', name: JobName.ScoreResponse, queue: QueueName.Scoring, attempt: 1 } as const;
    await handler?.({ responseId: 'r-1' } as never, context);
    expect(processor.seen).toEqual(['score.response:r-1']);
  });

  it('refuses a queue whose job has no handler, naming the job', () => {
    const error = failure(() =>
      new JobHandlerRegistry().registerFrom(new ScoringProcessor()).handlersFor(QueueName.Weights),
    );
    expect(error.code).toBe(QueueErrorCode.HandlerRegistration);
    expect(error.message).toBe('worker for queue "weights" cannot start: job "weights.set" has no handler');
  });

  it('refuses a job with two handlers, naming the job and both handlers', () => {
    const registry = new JobHandlerRegistry()
      .registerFrom(new ScoringProcessor())
      .registerFrom(new OtherScoringProcessor());
    const error = failure(() => registry.handlersFor(QueueName.Scoring));
    expect(error.code).toBe(QueueErrorCode.HandlerRegistration);
    expect(error.message).toContain(
      'job "score.response" has 2 handlers (ScoringProcessor.scoreResponse, OtherScoringProcessor.score)',
    );
  });

  it('ignores handlers of other queues', () => {
    const registry = new JobHandlerRegistry()
      .register(JobName.SyntheticTask, function syntheticTask() {})
      .registerFrom(new ScoringProcessor());
    expect([...registry.handlersFor(QueueName.SyntheticTasks).keys()]).toEqual([JobName.SyntheticTask]);
  });

  it('registers an inherited handler once', () => {
    class Child extends ScoringProcessor {}
    expect(new JobHandlerRegistry().registerFrom(new Child()).handlersFor(QueueName.Scoring).size).toBe(1);
  });

  it('rejects a name that is not a job', () => {
    const error = failure(() => new JobHandlerRegistry().register('organic-task' as never, () => undefined));
    expect(error.code).toBe(QueueErrorCode.UnknownJob);
  });

  it('checks the payload type of a handler at compile time', () => {
    const registry = new JobHandlerRegistry();
    registry.register(JobName.OrganicTask, (payload: OrganicTaskPayload) => {
      expect(payload.priority).toBeDefined();
    });
    // @ts-expect-error a synthetic-task handler cannot handle organic tasks
    registry.register(JobName.OrganicTask, (payload: SyntheticTaskPayload): void => {
      expect(payload.createdAt).toBeDefined();
    });

    class Mismatched {
      // @ts-expect-error the method's payload is not the job's
      @OnJob(JobName.SetWeights)
      setWeights(payload: SyntheticTaskPayload): void {
        expect(payload).toBeDefined();
      }
    }
    expect(Mismatched).toBeDefined();
  });
});
