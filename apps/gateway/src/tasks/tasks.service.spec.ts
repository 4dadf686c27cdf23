import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors';
import type { ApiKeyRecord } from '../keys/api-key';
import type { GatewaySettings } from '../settings';
import { preferredWaitSeconds, TasksService } from './tasks.service';

const key: ApiKeyRecord = {
  id: 'k',
  name: 'app',
  prefix: 'vsk_abcdefgh',
  scopes: ['arithmetic', 'summarization'],
  rateLimitPerMinute: 60,
  balance: 10,
  held: 0,
  createdAt: new Date(0),
  revokedAt: null,
};

function service(webhookSecret?: string): TasksService {
  const settings = {
    prices: { arithmetic: 1 },
    maxWaitMs: 30_000,
    webhookSecret,
  } as unknown as GatewaySettings;
  const unused = {} as never;
  return new TasksService(unused, unused, unused, settings, { now: () => 0 }, unused, unused, unused, unused);
}

describe('TasksService.parseSubmission', () => {
  it('checks the type, the scope and the body, in that order', () => {
    const tasks = service();
    expect(() => tasks.parseSubmission(key, 'poetry', {})).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.UnknownTaskType }),
    );
    expect(() => tasks.parseSubmission(key, 'text-generation', {})).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.ScopeMissing }),
    );
    expect(() => tasks.parseSubmission(key, 'arithmetic', { input: { operation: 'pow', a: '1' } })).toThrow(
      expect.objectContaining({
        code: GatewayErrorCode.InvalidRequest,
        details: [
          { path: 'input.operation', message: expect.any(String) },
          { path: 'input.b', message: expect.any(String) },
        ],
      }),
    );
    expect(
      tasks.parseSubmission(key, 'arithmetic', { input: { operation: 'add', a: '1', b: '2', extra: 1 } }),
    ).toMatchObject({
      input: { operation: 'add', a: '1', b: '2' },
      priority: 'normal',
      callbackUrl: null,
    });
  });

  it('refuses strings PostgreSQL cannot store, and callbacks while webhooks are off', () => {
    expect(() => service().parseSubmission(key, 'summarization', { input: { text: 'a\u0000b' } })).toThrow(
      expect.objectContaining({
        code: GatewayErrorCode.InvalidRequest,
        details: [{ path: 'input.text', message: expect.any(String) }],
      }),
    );
    const withCallback = { input: { text: 'Hello there.' }, callback_url: 'https://app.example/hook' };
    expect(() => service().parseSubmission(key, 'summarization', withCallback)).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.WebhooksDisabled }),
    );
    expect(service('s'.repeat(32)).parseSubmission(key, 'summarization', withCallback).callbackUrl).toBe(
      'https://app.example/hook',
    );
  });
});

describe('preferredWaitSeconds', () => {
  it('reads wait=N from a Prefer header and ignores what it does not understand', () => {
    expect(preferredWaitSeconds('wait=30')).toBe(30);
    expect(preferredWaitSeconds('respond-async, wait="5"')).toBe(5);
    expect(preferredWaitSeconds('return=minimal; foo, WAIT = 7')).toBe(7);
    expect(preferredWaitSeconds('wait=-1')).toBeUndefined();
    expect(preferredWaitSeconds('wait=abc')).toBeUndefined();
    expect(preferredWaitSeconds(undefined)).toBeUndefined();
    expect(service().waitMsFrom('wait=600')).toBe(30_000);
  });
});
