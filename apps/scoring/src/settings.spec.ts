import { describe, expect, it } from 'vitest';
import { settingsFor } from './test-support';

describe('scoringSettings', () => {
  it('turns the config into the scoring model: design defaults, a profile per task type', () => {
    const settings = settingsFor();
    expect(settings).toMatchObject({
      netuid: 1,
      identity: undefined,
      taskTypeWeights: { arithmetic: 1, summarization: 1, 'text-generation': 1 },
      weightedTaskTypes: ['arithmetic', 'summarization', 'text-generation'],
      alpha: 0.1,
      dropout: { maxScored: 4, windowMs: 600_000 },
      organicSpotCheck: 0.1,
      retentionMs: 14 * 86_400_000,
    });
    expect(settings.profiles.get('arithmetic')).toEqual({
      accuracyWeight: 0.7,
      speedWeight: 0.3,
      floorMs: 100,
      timeoutMs: 2_000,
      speedExponent: 1,
    });
    expect(settings.profiles.get('text-generation')).toMatchObject({ floorMs: 1_000, timeoutMs: 30_000 });
  });

  it('leaves task types with a weight of 0 out of the mix', () => {
    const settings = settingsFor({
      SCORING_TASK_TYPE_WEIGHTS: 'summarization=2,arithmetic=0',
      SCORING_SPEED_WEIGHT: '0',
    });
    expect(settings.taskTypeWeights).toEqual({ summarization: 2 });
    expect(settings.weightedTaskTypes).toEqual(['summarization']);
    expect(settings.profiles.get('summarization')).toMatchObject({ accuracyWeight: 1, speedWeight: 0 });
  });
});
