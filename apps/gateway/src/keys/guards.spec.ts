import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors';
import type { GatewaySettings } from '../settings';
import { AdminGuard } from './guards';

function context(authorization?: string): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

const guard = (adminToken?: string) => new AdminGuard({ adminToken } as GatewaySettings);

describe('AdminGuard', () => {
  it('lets the admin token through and refuses others, and every request while no token is set', () => {
    const token = 'admin-token-long-enough';
    expect(guard(token).canActivate(context(`Bearer ${token}`))).toBe(true);
    expect(() => guard(token).canActivate(context())).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.AdminUnauthorized, httpStatus: 401 }),
    );
    expect(() => guard(token).canActivate(context(`Bearer ${token}x`))).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.AdminUnauthorized }),
    );
    expect(() => guard(undefined).canActivate(context(`Bearer ${token}`))).toThrow(
      expect.objectContaining({ code: GatewayErrorCode.AdminDisabled, httpStatus: 403 }),
    );
  });
});
