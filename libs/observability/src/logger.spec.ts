import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('hides the values of query parameters named like secrets, and keeps the rest', () => {
    expect(redactUrl('/v1/tasks?limit=10&status=done')).toBe('/v1/tasks?limit=10&status=done');
    expect(redactUrl('/v1/account?api_key=vsk_abc&limit=5&access_token=t0k&Secret=s')).toBe(
      '/v1/account?api_key=[redacted]&limit=5&access_token=[redacted]&Secret=[redacted]',
    );
    expect(redactUrl('/x?pass%77ord=hunter2&%zz=1&flag')).toBe('/x?pass%77ord=[redacted]&%zz=1&flag');
    expect(redactUrl('/no/query')).toBe('/no/query');
  });
});
