import { describe, expect, it } from 'vitest';
import {
  bullPriorityOf,
  isJobName,
  jobDefinitions,
  JobName,
  jobNamesOf,
  QueueName,
  scoreResponseSchema,
  setWeightsSchema,
  taskPriorities,
} from './jobs';

describe('job catalogue', () => {
  it('keeps the stored queue and job names (they are in Redis keys and stored jobs)', () => {
    expect(Object.values(QueueName)).toEqual([
      'organic-tasks',
      'synthetic-tasks',
      'scoring',
      'weights',
      'organic-results',
      'gateway-webhooks',
    ]);
    expect(Object.values(JobName)).toEqual([
      'organic.task',
      'synthetic.task',
      'score.response',
      'weights.set',
      'organic.result',
      'webhook.deliver',
    ]);
  });

  it('puts every job on its queue', () => {
    expect(jobNamesOf(QueueName.OrganicTasks)).toEqual([JobName.OrganicTask]);
    expect(jobNamesOf(QueueName.SyntheticTasks)).toEqual([JobName.SyntheticTask]);
    expect(jobNamesOf(QueueName.Scoring)).toEqual([JobName.ScoreResponse]);
    expect(jobNamesOf(QueueName.Weights)).toEqual([JobName.SetWeights]);
    expect(jobNamesOf(QueueName.OrganicResults)).toEqual([JobName.OrganicResult]);
    expect(jobNamesOf(QueueName.GatewayWebhooks)).toEqual([JobName.DeliverWebhook]);
    expect(isJobName('organic.task')).toBe(true);
    expect(isJobName('organic-task')).toBe(false);
  });

  it('gives urgent tasks the highest BullMQ priority (the lowest number)', () => {
    const order = [...taskPriorities].sort((a, b) => bullPriorityOf[a] - bullPriorityOf[b]);
    expect(order).toEqual(['urgent', 'high', 'normal', 'low']);
    const priority = jobDefinitions[JobName.OrganicTask].priority;
    expect(
      priority?.({
        taskId: 't',
        taskType: 'text',
        request: {},
        priority: 'urgent',
        submittedAt: new Date().toISOString(),
      }),
    ).toBe(1);
  });

  it('retries every job with exponential backoff and bounded retention', () => {
    for (const name of Object.values(JobName)) {
      const { options } = jobDefinitions[name];
      expect(options.attempts, name).toBeGreaterThanOrEqual(2);
      expect(options.backoff, name).toMatchObject({ type: 'exponential' });
      expect(options.removeOnComplete, name).toHaveProperty('age');
      expect(options.removeOnFail, name).toHaveProperty('age');
    }
  });
});

describe('payload schemas', () => {
  const response = {
    responseId: 'r-1',
    taskId: 't-1',
    taskType: 'text',
    purpose: 'organic',
    minerUid: 7,
    minerHotkey: '5F...',
    request: { prompt: 'hello' },
    response: null,
    latencyMs: 120,
  };

  it('accepts a score job without a response and rejects a negative latency, a bad uid or no request', () => {
    expect(scoreResponseSchema.safeParse(response).success).toBe(true);
    expect(scoreResponseSchema.safeParse({ ...response, request: undefined }).success).toBe(false);
    expect(scoreResponseSchema.safeParse({ ...response, latencyMs: -1 }).success).toBe(false);
    expect(scoreResponseSchema.safeParse({ ...response, minerUid: 70_000 }).success).toBe(false);
    expect(scoreResponseSchema.safeParse({ ...response, purpose: 'other' }).success).toBe(false);
  });

  it('requires the request of a task', () => {
    const { schema } = jobDefinitions[JobName.SyntheticTask];
    const task = { taskId: 't', taskType: 'text', createdAt: '2025-01-01T00:00:00.000Z' };
    expect(schema.safeParse({ ...task, request: { prompt: 'hi' } }).success).toBe(true);
    expect(schema.safeParse(task).success).toBe(false);
  });

  it('accepts weights by hotkey and rejects negative ones', () => {
    const weights = { netuid: 1, epoch: 42, weights: { '5F...': 0.5, '5G...': 0.5 } };
    expect(setWeightsSchema.safeParse(weights).success).toBe(true);
    expect(setWeightsSchema.safeParse({ ...weights, weights: { '5F...': -1 } }).success).toBe(false);
  });
});
