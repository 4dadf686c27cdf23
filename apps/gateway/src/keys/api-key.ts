import { hash, randomBytes } from 'node:crypto';

/** An API key as the gateway keeps it: never the secret itself, only its SHA-256. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the secret, to tell keys apart in listings. */
  prefix: string;
  /** Task types the key may submit. */
  scopes: string[];
  rateLimitPerMinute: number;
  /** Credits the key can spend now: the sum of its ledger. */
  balance: number;
  /** Credits held by tasks that have not finished. */
  held: number;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What creating a key needs; the secret's hash comes from `newApiKeySecret`. */
export interface NewApiKey {
  id: string;
  name: string;
  prefix: string;
  secretHash: Buffer;
  scopes: string[];
  rateLimitPerMinute: number;
  /** Credits granted at creation (a ledger row when above 0). */
  credits: number;
  createdAt: Date;
}

/** How every secret starts, so a leaked one is easy to recognise (and to scan for). */
export const API_KEY_PREFIX = 'vsk_';

const secretPattern = /^vsk_[A-Za-z0-9_-]{43}$/;

/** A fresh secret (32 random bytes) and the part of it listings show. */
export function newApiKeySecret(): { secret: string; prefix: string } {
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, API_KEY_PREFIX.length + 8) };
}

/** True when a string has the shape of a secret this gateway issues (checked before any lookup). */
export function looksLikeApiKeySecret(value: string): boolean {
  return secretPattern.test(value);
}

/** The SHA-256 of a secret: enough for 256-bit random secrets, and cheap enough to check on every request. */
export function hashApiKeySecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** The same SHA-256 as base64 text: how a replica remembers the keys it has looked up. */
export function apiKeySecretDigest(secret: string): string {
  return hash('sha256', secret, 'base64');
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return match?.[1];
}
