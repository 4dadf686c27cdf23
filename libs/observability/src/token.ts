import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a bearer token was refused, or 'ok'. */
export type TokenCheck = 'ok' | 'not_configured' | 'missing' | 'invalid';

/** The SHA-256 of a secret: what secrets are compared as, so every comparison is of 32 bytes. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares two digests of secretDigest in constant time. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Compares two secrets in constant time (hashing first so different lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  return digestsEqual(secretDigest(a), secretDigest(b));
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
