import { describe, expect, it } from 'vitest';
import { sidecarConfigSchema } from './apps';
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
