import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a bearer token was refused, or 'ok'. */
export type TokenCheck = 'ok' | 'not_configured' | 'missing' | 'invalid';

/** Compares two secrets in constant time (hashing first so different lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a).digest();
  const digestB = createHash('sha256').update(b).digest();
  return timingSafeEqual(digestA, digestB);
}

/** Checks an Authorization header against the expected bearer token. */
export function checkBearer(authorization: string | undefined, expected: string | undefined): TokenCheck {
  if (!expected) return 'not_configured';
  if (!authorization) return 'missing';
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  const presented = match?.[1];
  if (!presented) return 'invalid';
  return safeEqual(presented, expected) ? 'ok' : 'invalid';
}
