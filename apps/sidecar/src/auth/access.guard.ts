import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { SidecarError, SidecarErrorCode } from '../errors';
import { type Identity, IdentitiesService } from './identities.service';

type Access = 'read' | 'identity';
const ACCESS = 'sidecar:access';

/** The identity a request acts for, set by the guard on identity routes. */
export interface IdentityRequest extends FastifyRequest {
  identity?: Identity;
}

/** The bearer token of a request's Authorization header. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Read routes take the open-access token or any identity's token; identity routes (`:name` in the path) take that
 * identity's token. No token → 401, unknown identity → 404, a token that does not grant the route → 403.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identities: IdentitiesService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === undefined) return true;
    const request = context.switchToHttp().getRequest<IdentityRequest>();
    const token = bearerOf(request);
    if (token === undefined) {
      throw new SidecarError(SidecarErrorCode.Unauthorized, 'send Authorization: Bearer <token>');
    }
    if (access === 'read') {
      if (this.identities.grantsRead(token)) return true;
      throw new SidecarError(SidecarErrorCode.Forbidden, 'this token does not grant read access');
    }
    const name = (request.params as Record<string, string | undefined>).name ?? '';
    const identity = this.identities.get(name);
    if (!identity) {
      throw new SidecarError(SidecarErrorCode.IdentityNotFound, `no identity named "${name}"`);
    }
    if (!this.identities.grantsIdentity(identity, token)) {
      throw new SidecarError(SidecarErrorCode.Forbidden, `this token does not act for identity "${name}"`);
    }
    request.identity = identity;
    return true;
  }
}

/** The route answers holders of the open-access token or of any identity's token. */
export const ReadAccess = () => applyDecorators(SetMetadata(ACCESS, 'read'), UseGuards(AccessGuard));

/** The route acts for the identity named by `:name`, and answers only that identity's token. */
export const IdentityAccess = () => applyDecorators(SetMetadata(ACCESS, 'identity'), UseGuards(AccessGuard));
