import { describe, expect, it } from 'vitest';
import { managingConfigSchema, scoringConfigSchema, sidecarConfigSchema } from './apps';
import { ConfigError, parseConfig } from './load';
import { renderEnvExample } from './env-example';

describe('parseConfig', () => {
  it('fills defaults from the schema', () => {
    const config = parseConfig('sidecar', sidecarConfigSchema, {});
    expect(config.PORT).toBe(3001);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.DATABASE_MIGRATE_ON_START).toBe(false);
  });

  it('names every invalid variable in one error', () => {
    const attempt = () =>
      parseConfig('sidecar', sidecarConfigSchema, {
        REDIS_URL: 'http://localhost:6379',
        PORT: '70000',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        METRICS_TOKEN: 'short',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.map((problem) => problem.variable).sort();
      expect(problems).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'METRICS_TOKEN', 'PORT', 'REDIS_URL']);
      expect((error as ConfigError).message).toContain('REDIS_URL: must be a redis:// URL');
      expect((error as ConfigError).message).toContain('PORT: must be a whole number from 1 to 65535');
    }
  });

  it('gives every service the HTTP limits, with defaults and overrides, and refuses limits out of range', () => {
    const config = parseConfig('scoring', scoringConfigSchema, { HTTP_MAX_CONNECTIONS: '0' });
    expect(config).toMatchObject({
      HTTP_MAX_HEADER_BYTES: 16_384,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
      HTTP_MAX_CONNECTIONS: 0,
    });
    expect(config.HTTP_BODY_LIMIT_BYTES).toBeUndefined();
    expect(() =>
      parseConfig('sidecar', sidecarConfigSchema, {
        HTTP_HEADERS_TIMEOUT_MS: '10',
        HTTP_BODY_LIMIT_BYTES: '-1',
      }),
    ).toThrow(
      /HTTP_BODY_LIMIT_BYTES[\s\S]*HTTP_HEADERS_TIMEOUT_MS|HTTP_HEADERS_TIMEOUT_MS[\s\S]*HTTP_BODY_LIMIT_BYTES/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig('sidecar', sidecarConfigSchema, { PORT: '' }).PORT).toBe(3001);
  });

  it('parses flags and rejects other words', () => {
    expect(
      parseConfig('sidecar', sidecarConfigSchema, { DATABASE_MIGRATE_ON_START: 'yes' })
        .DATABASE_MIGRATE_ON_START,
    ).toBe(true);
    expect(() => parseConfig('sidecar', sidecarConfigSchema, { DATABASE_MIGRATE_ON_START: 'maybe' })).toThrow(
      /DATABASE_MIGRATE_ON_START: must be true or false/,
    );
  });

  it('never echoes a secret value in the error', () => {
    try {
      parseConfig('sidecar', sidecarConfigSchema, {
        METRICS_TOKEN: 'sekrit',
        REDIS_URL: 'nope://sekrit-pass@host',
      });
      expect.fail('should throw');
    } catch (error) {
      expect((error as Error).message).not.toContain('sekrit');
    }
  });
});

describe('renderEnvExample', () => {
  it('documents each variable and marks secrets', () => {
    const text = renderEnvExample();
    expect(text).toContain('REDIS_URL=redis://127.0.0.1:6379');
    expect(text).toMatch(/Bearer token for \/metrics.*\(secret\)\n# METRICS_TOKEN=/);
    expect(text).toContain('# ---- managing ----\n# HTTP port');
    expect(text).toContain('# PORT=3002');
  });
});

describe('the scoring config', () => {
  it('has the scoring model defaults of the design', () => {
    const config = parseConfig('scoring', scoringConfigSchema, {});
    expect(config).toMatchObject({
      NETUID: 1,
      SCORING_TASK_TYPE_WEIGHTS: { arithmetic: 1, summarization: 1, 'text-generation': 1 },
      SCORING_SPEED_WEIGHT: 0.3,
      SCORING_EMA_ALPHA: 0.1,
      SCORING_DROPOUT_MAX: 4,
      SCORING_DROPOUT_WINDOW_MS: 600_000,
    });
    expect(config.SCORING_IDENTITY).toBeUndefined();
  });

  it('reads task type weights and names every problem with them', () => {
    expect(
      parseConfig('scoring', scoringConfigSchema, {
        SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=2, summarization = 0.5',
      }).SCORING_TASK_TYPE_WEIGHTS,
    ).toEqual({ arithmetic: 2, summarization: 0.5 });
    const attempt = () =>
      parseConfig('scoring', scoringConfigSchema, {
        SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=1,arithmetic=2,poetry=1,summarization=-1',
        SCORING_EMA_ALPHA: '0',
      });
    expect(attempt).toThrow(/"arithmetic" appears twice/);
    expect(attempt).toThrow(/"poetry" is not one of arithmetic, summarization, text-generation/);
    expect(attempt).toThrow(/"summarization=-1" must be name=weight/);
    expect(attempt).toThrow(/SCORING_EMA_ALPHA: must be above 0/);
    expect(() =>
      parseConfig('scoring', scoringConfigSchema, { SCORING_TASK_TYPE_WEIGHTS: 'arithmetic=0' }),
    ).toThrow(/at least one name a weight above 0/);
  });
});

describe('the managing config', () => {
  const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

  it('needs the validator hotkey and has the quota defaults of the design', () => {
    expect(() => parseConfig('managing', managingConfigSchema, {})).toThrow(
      /VALIDATOR_HOTKEY_ADDRESS: is required/,
    );
    expect(parseConfig('managing', managingConfigSchema, { VALIDATOR_HOTKEY_ADDRESS: alice })).toMatchObject({
      NETUID: 1,
      VALIDATOR_HOTKEY_ADDRESS: alice,
      MANAGING_QUOTA_WINDOW_SECONDS: 600,
      MANAGING_MIN_VALIDATOR_STAKE: 0n,
      MANAGING_REQUIRE_VALIDATOR_PERMIT: true,
      MANAGING_CAPACITY_DEFAULT: 256,
      MANAGING_SYNTHETIC_SHARE: 0.3,
      MANAGING_TOP_FRACTION_SYNTHETIC: 1,
      MANAGING_TOP_FRACTION_ORGANIC: 0.5,
    });
  });

  it('names every problem, including ranges that contradict each other', () => {
    const attempt = () =>
      parseConfig('managing', managingConfigSchema, {
        VALIDATOR_HOTKEY_ADDRESS: '0xalice',
        MANAGING_MIN_VALIDATOR_STAKE: '1.5',
        MANAGING_SYNTHETIC_SHARE: '1.2',
      });
    expect(attempt).toThrow(/VALIDATOR_HOTKEY_ADDRESS: must be an SS58 address/);
    expect(attempt).toThrow(/MANAGING_MIN_VALIDATOR_STAKE: must be a whole number of rao/);
    expect(attempt).toThrow(/MANAGING_SYNTHETIC_SHARE: must be a number from 0 to 1/);
    expect(() =>
      parseConfig('managing', managingConfigSchema, {
        VALIDATOR_HOTKEY_ADDRESS: alice,
        MANAGING_CAPACITY_MIN: '512',
        MANAGING_CAPACITY_MAX: '256',
        MANAGING_CIRCUIT_OPEN_MS: '60000',
        MANAGING_CIRCUIT_OPEN_MAX_MS: '1000',
      }),
    ).toThrow(/MANAGING_CAPACITY_MIN: must not exceed MANAGING_CAPACITY_MAX[\s\S]*MANAGING_CIRCUIT_OPEN_MS/);
  });
});
