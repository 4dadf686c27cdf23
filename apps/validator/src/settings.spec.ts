import { type ConfigError, parseConfig, validatorConfigSchema } from '@vstack/config';
import { describe, expect, it } from 'vitest';
import { hedgeDelayMs, validatorSettings } from './settings';

describe('validator settings', () => {
  it('has the defaults the issue asks for: 3 synthetic miners, 3 organic attempts', () => {
    const settings = validatorSettings(parseConfig('validator', validatorConfigSchema, {}));
    expect(settings).toMatchObject({
      netuid: 1,
      syntheticMiners: 3,
      organicAttempts: 3,
      organicScoringShare: 1,
      organicSampleShare: 0.1,
      weightsIdentity: undefined,
      releaseAfterMs: 8_000,
    });
  });

  it('hedges after a share of the task type timeout, or never', () => {
    expect(hedgeDelayMs({ hedgeDelayShare: 0.25 }, 2_000)).toBe(500);
    expect(hedgeDelayMs({ hedgeDelayShare: 0 }, 30_000)).toBe(0);
    expect(hedgeDelayMs({ hedgeDelayShare: 1 }, 30_000)).toBeUndefined();
  });

  it('keeps a margin of the shutdown budget to give tasks back', () => {
    const settingsFor = (SHUTDOWN_TIMEOUT_MS: string) =>
      validatorSettings(parseConfig('validator', validatorConfigSchema, { SHUTDOWN_TIMEOUT_MS }));
    expect(settingsFor('30000').releaseAfterMs).toBe(28_000);
    expect(settingsFor('2000').releaseAfterMs).toBe(1_500);
    expect(settingsFor('0').releaseAfterMs).toBe(0);
  });

  it('refuses shares outside 0 to 1 and a miner count of 0, naming each', () => {
    const problems = (() => {
      try {
        parseConfig('validator', validatorConfigSchema, {
          VALIDATOR_HEDGE_DELAY_SHARE: '1.5',
          VALIDATOR_SYNTHETIC_MINERS: '0',
          VALIDATOR_ORGANIC_SCORING_SHARE: '-1',
        });
      } catch (error) {
        return (error as ConfigError).problems.map((problem) => problem.variable);
      }
      return [];
    })();
    expect(problems.sort()).toEqual([
      'VALIDATOR_HEDGE_DELAY_SHARE',
      'VALIDATOR_ORGANIC_SCORING_SHARE',
      'VALIDATOR_SYNTHETIC_MINERS',
    ]);
  });
});
