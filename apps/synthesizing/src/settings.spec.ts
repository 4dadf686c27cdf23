import { type ConfigError, parseConfig, synthesizingConfigSchema } from '@vstack/config';
import { describe, expect, it } from 'vitest';
import { synthesizingSettings } from './settings';

describe('synthesizing settings', () => {
  it('has a rate for every built-in task type, a depth limit and a replay share by default', () => {
    expect(synthesizingSettings(parseConfig('synthesizing', synthesizingConfigSchema, {}))).toEqual({
      ratesPerMinute: { arithmetic: 60, summarization: 20, 'text-generation': 20 },
      maxQueueDepth: 200,
      replayShare: 0.25,
      sampleRetentionMs: 86_400_000,
      samplesPerTaskType: 10_000,
      tickMs: 1_000,
    });
  });

  it('leaves out task types at rate 0, and turns replay off when no sample may be stored', () => {
    const settings = synthesizingSettings(
      parseConfig('synthesizing', synthesizingConfigSchema, {
        SYNTHESIZING_TASKS_PER_MINUTE: 'arithmetic=0.5, summarization=0',
        SYNTHESIZING_SAMPLES_PER_TASK_TYPE: '0',
      }),
    );
    expect(settings.ratesPerMinute).toEqual({ arithmetic: 0.5 });
    expect(settings.replayShare).toBe(0);
  });

  it('names every invalid variable', () => {
    let problems: string[] = [];
    try {
      parseConfig('synthesizing', synthesizingConfigSchema, {
        SYNTHESIZING_TASKS_PER_MINUTE: 'painting=3',
        SYNTHESIZING_MAX_QUEUE_DEPTH: '0',
        SYNTHESIZING_REPLAY_SHARE: '2',
      });
    } catch (error) {
      problems = (error as ConfigError).problems.map((problem) => `${problem.variable}: ${problem.message}`);
    }
    expect(problems).toEqual([
      expect.stringMatching(/^SYNTHESIZING_TASKS_PER_MINUTE: "painting" is not one of arithmetic/),
      expect.stringMatching(/^SYNTHESIZING_TASKS_PER_MINUTE: must give at least one name a weight above 0/),
      'SYNTHESIZING_MAX_QUEUE_DEPTH: must be a whole number from 1 to 1000000',
      'SYNTHESIZING_REPLAY_SHARE: must be a number from 0 to 1',
    ]);
  });
});
