import { describe, expect, it } from 'vitest';
import { GatewayError, GatewayErrorCode, isOutage, unavailable } from './errors';

describe('isOutage', () => {
  it('recognises Redis and PostgreSQL going away, however the error is wrapped', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(isOutage(refused)).toBe(true);
    expect(isOutage(new AggregateError([refused], ''))).toBe(true);
    expect(isOutage(Object.assign(new Error('query failed'), { driverError: refused }))).toBe(true);
    expect(isOutage(new Error('outer', { cause: new Error('Connection terminated unexpectedly') }))).toBe(
      true,
    );
    expect(isOutage(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isOutage(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(
      isOutage(Object.assign(new Error('the database system is shutting down'), { code: '57P03' })),
    ).toBe(true);
    expect(isOutage(Object.assign(new Error('too many clients'), { code: '53300' }))).toBe(true);
  });

  it('leaves bugs and refusals alone, so they are not hidden behind a 503', () => {
    expect(isOutage(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isOutage(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isOutage(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isOutage(undefined)).toBe(false);
    expect(isOutage('ECONNREFUSED')).toBe(false);
  });
});

describe('GatewayError', () => {
  it('carries the HTTP status of its code and, for outages, a Retry-After', () => {
    expect(new GatewayError(GatewayErrorCode.InsufficientCredits, 'x').httpStatus).toBe(402);
    expect(
      new GatewayError(GatewayErrorCode.RateLimited, 'x', { retryAfterSeconds: 3 }).retryAfterSeconds,
    ).toBe(3);
    const outage = unavailable('Redis', new Error('gone'));
    expect(outage).toMatchObject({ code: 'service_unavailable', httpStatus: 503, retryAfterSeconds: 5 });
    expect(outage.message).not.toContain('gone');
  });
});
