import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, GatewayErrorCode, isOutage, unavailable } from '../errors';
import { GatewayMetrics } from '../gateway-metrics';
import { CLOCK, type Clock, GATEWAY_SETTINGS, KEY_STORE, RATE_LIMITER } from '../ports';
import type { GatewaySettings } from '../settings';
import { webhookSecretFor } from '../webhooks/signature';
import {
  apiKeySecretDigest,
  type ApiKeyRecord,
  bearerToken,
  hashApiKeySecret,
  looksLikeApiKeySecret,
  newApiKeySecret,
} from './api-key';
import type { KeyStore, LedgerEntry, LedgerTotals } from './key-store';
import type { RateLimiter } from './rate-limiter';

/** What creating a key needs. */
export interface CreateKeyInput {
  name: string;
  scopes: string[];
  credits: number;
  rateLimitPerMinute?: number | undefined;
}

/** A key just created: the only time its secret is ever shown. */
export interface CreatedKey {
  key: ApiKeyRecord;
  secret: string;
  /** The secret its webhooks are signed with, when webhooks are on. */
  webhookSecret: string | undefined;
}

interface CachedKey {
  key: ApiKeyRecord | undefined;
  expiresAt: number;
}

/** Keys remembered per replica; beyond this the oldest are forgotten. */
const KEY_CACHE_ENTRIES = 10_000;

/** API keys: created, listed, revoked and credited by an operator; checked and rate-limited on every request. */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, CachedKey>();

  constructor(
    @Inject(KEY_STORE) private readonly store: KeyStore,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: GatewayMetrics,
  ) {}

  async create(input: CreateKeyInput): Promise<CreatedKey> {
    const { secret, prefix } = newApiKeySecret();
    const key = await this.store.createKey({
      id: randomUUID(),
      name: input.name,
      prefix,
      secretHash: hashApiKeySecret(secret),
      scopes: [...new Set(input.scopes)],
      rateLimitPerMinute: input.rateLimitPerMinute ?? this.settings.defaultRateLimitPerMinute,
      credits: input.credits,
      createdAt: new Date(this.clock.now()),
    });
    if (input.credits > 0) this.metrics.credited('grant', input.credits);
    return { key, secret, webhookSecret: this.webhookSecretOf(key.id) };
  }

  /** The secret webhooks of a key are signed with; undefined while webhooks are off. */
  webhookSecretOf(keyId: string): string | undefined {
    return this.settings.webhookSecret === undefined
      ? undefined
      : webhookSecretFor(this.settings.webhookSecret, keyId);
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.listKeys();
  }

  async get(id: string): Promise<ApiKeyRecord> {
    const key = await this.store.getKey(id);
    if (!key) throw new GatewayError(GatewayErrorCode.KeyNotFound, `no API key ${id}`);
    return key;
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    const key = await this.store.revokeKey(id, new Date(this.clock.now()));
    if (!key) throw new GatewayError(GatewayErrorCode.KeyNotFound, `no API key ${id}`);
    for (const [hash, cached] of this.cache) if (cached.key?.id === id) this.cache.delete(hash);
    return key;
  }

  /** Adds credits (or takes them away with a negative amount); the balance never goes below 0. */
  async grant(id: string, amount: number, note: string | null): Promise<ApiKeyRecord> {
    const outcome = await this.store.grantCredits(id, amount, note, new Date(this.clock.now()));
    switch (outcome.kind) {
      case 'granted':
        this.metrics.credited('grant', amount);
        return outcome.key;
      case 'not_found':
        throw new GatewayError(GatewayErrorCode.KeyNotFound, `no API key ${id}`);
      case 'insufficient':
        throw new GatewayError(
          GatewayErrorCode.InsufficientCredits,
          `cannot take ${-amount} credits from a balance of ${outcome.balance}`,
        );
    }
  }

  ledger(id: string, limit: number, beforeId?: number): Promise<LedgerEntry[]> {
    return this.store.ledger(id, beforeId === undefined ? { limit } : { limit, beforeId });
  }

  ledgerTotals(id: string): Promise<LedgerTotals> {
    return this.store.ledgerTotals(id);
  }

  /**
   * The live key an Authorization header names, within its rate limit. Throws 401 for a missing, unknown or
   * revoked key, 429 past the limit, and 503 when PostgreSQL or Redis cannot be reached.
   */
  async admit(authorization: string | undefined): Promise<ApiKeyRecord> {
    const key = await this.authenticate(authorization);
    let decision;
    try {
      decision = await this.limiter.take(key.id, key.rateLimitPerMinute, this.clock.now());
    } catch (error) {
      throw isOutage(error) ? unavailable('Redis', error) : error;
    }
    if (!decision.allowed) {
      throw new GatewayError(
        GatewayErrorCode.RateLimited,
        `this key may make ${key.rateLimitPerMinute} requests a minute; retry in ${decision.retryAfterSeconds} s`,
        { retryAfterSeconds: decision.retryAfterSeconds },
      );
    }
    return key;
  }

  /** The live key an Authorization header names (no rate limit). */
  async authenticate(authorization: string | undefined): Promise<ApiKeyRecord> {
    const secret = bearerToken(authorization);
    if (secret === undefined) {
      throw new GatewayError(
        GatewayErrorCode.Unauthorized,
        'this route needs an API key: Authorization: Bearer vsk_...',
      );
    }
    if (!looksLikeApiKeySecret(secret)) {
      throw new GatewayError(GatewayErrorCode.Unauthorized, 'the API key is not valid');
    }
    const key = await this.lookUp(secret);
    if (!key) throw new GatewayError(GatewayErrorCode.Unauthorized, 'the API key is not valid');
    if (key.revokedAt !== null) {
      throw new GatewayError(GatewayErrorCode.KeyRevoked, 'the API key was revoked');
    }
    return key;
  }

  private async lookUp(secret: string): Promise<ApiKeyRecord | undefined> {
    // One hash per request: the cache is keyed by the digest's text, and the bytes are made only for a look-up.
    const cacheKey = apiKeySecretDigest(secret);
    const now = this.clock.now();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > now) return cached.key;
    let key: ApiKeyRecord | undefined;
    try {
      key = await this.store.findKeyBySecretHash(Buffer.from(cacheKey, 'base64'));
    } catch (error) {
      throw isOutage(error) ? unavailable('PostgreSQL', error) : error;
    }
    if (this.settings.keyCacheMs > 0) {
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, { key, expiresAt: now + this.settings.keyCacheMs });
      if (this.cache.size > KEY_CACHE_ENTRIES) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
    }
    return key;
  }
}
