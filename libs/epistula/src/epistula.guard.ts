import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EpistulaError, EpistulaErrorCode } from './errors';
import { EpistulaVerifier, type VerifiedEpistulaRequest } from './verify';

/**
 * The parts of an HTTP request the guard reads and writes. With Fastify, `rawBody` must hold the body bytes as
 * received: create the Nest app with `{ rawBody: true }` (JSON and URL-encoded bodies), add other content types with
 * `app.useBodyParser('application/octet-stream')`, or on plain Fastify register a parser with `parseAs: 'buffer'`
 * that stores `request.rawBody = body` before parsing.
 */
export interface EpistulaHttpRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody?: Uint8Array;
  /** Set by the guard once the request is verified. */
  epistula?: VerifiedEpistulaRequest;
}

const SKIP_EPISTULA = 'vstack:epistula:skip';
const emptyBody = new Uint8Array(0);

/** Marks a route or controller the guard lets through unsigned (health, status). */
export const SkipEpistula = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_EPISTULA, true);

/** The verified Epistula facts of the current request (signer hotkey, UUID, timestamp). */
export const VerifiedEpistula = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VerifiedEpistulaRequest | undefined =>
    context.switchToHttp().getRequest<EpistulaHttpRequest>().epistula,
);

function declaresBody(headers: EpistulaHttpRequest['headers']): boolean {
  const length = headers['content-length'];
  if (typeof length === 'string' && length !== '0') return true;
  return headers['transfer-encoding'] !== undefined;
}

/** The raw body bytes the signature covers; refuses when a body arrived but its bytes were not kept. */
export function rawBodyOf(request: EpistulaHttpRequest): Uint8Array {
  if (request.rawBody instanceof Uint8Array) return request.rawBody;
  if (declaresBody(request.headers)) {
    throw new EpistulaError(
      EpistulaErrorCode.RawBodyUnavailable,
      'the server did not keep the raw request body, so its signature cannot be checked',
    );
  }
  return emptyBody;
}

/**
 * Verifies Epistula v2 on every HTTP request of the routes it guards, over the raw body bytes, and stores the result on
 * `request.epistula`. Refusals are EpistulaErrors (`code`, `httpStatus`), which the stack's exception filter answers
 * as `{ "error": { "code", "message" } }`.
 */
@Injectable()
export class EpistulaGuard implements CanActivate {
  constructor(
    @Inject(EpistulaVerifier) private readonly verifier: EpistulaVerifier,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_EPISTULA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip === true) return true;
    const request = context.switchToHttp().getRequest<EpistulaHttpRequest>();
    request.epistula = await this.verifier.verify(request.headers, rawBodyOf(request));
    return true;
  }
}
