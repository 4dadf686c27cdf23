import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { checkBearer } from '@vstack/observability';
import type { FastifyRequest } from 'fastify';
import { GatewayError, GatewayErrorCode } from '../errors';
import { GATEWAY_SETTINGS } from '../ports';
import type { GatewaySettings } from '../settings';
import type { ApiKeyRecord } from './api-key';
import { ApiKeysService } from './api-keys.service';

interface KeyedRequest extends FastifyRequest {
  apiKey?: ApiKeyRecord;
}

/** Lets a request through with a live API key within its rate limit, and hands the key to the handler. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    request.apiKey = await this.keys.admit(request.headers.authorization);
    return true;
  }
}

/** The API key ApiKeyGuard admitted. */
export const CurrentKey = createParamDecorator((_data: unknown, context: ExecutionContext): ApiKeyRecord => {
  const key = context.switchToHttp().getRequest<KeyedRequest>().apiKey;
  if (!key) throw new Error('CurrentKey is used on a route without ApiKeyGuard');
  return key;
});

/** Lets a request through with GATEWAY_ADMIN_TOKEN: 403 while it is unset, 401 when missing or wrong. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    switch (checkBearer(request.headers.authorization, this.settings.adminToken)) {
      case 'ok':
        return true;
      case 'not_configured':
        throw new GatewayError(
          GatewayErrorCode.AdminDisabled,
          'the admin routes are off: set GATEWAY_ADMIN_TOKEN to use them',
        );
      case 'missing':
        throw new GatewayError(
          GatewayErrorCode.AdminUnauthorized,
          'the admin routes need Authorization: Bearer <GATEWAY_ADMIN_TOKEN>',
        );
      case 'invalid':
        throw new GatewayError(GatewayErrorCode.AdminUnauthorized, 'the admin token is wrong');
    }
  }
}
