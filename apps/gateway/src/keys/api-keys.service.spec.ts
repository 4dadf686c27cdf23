import { ServiceMetrics } from '@vstack/observability';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode, isGatewayError } from '../errors';
import { GatewayMetrics } from '../gateway-metrics';
import type { GatewaySettings } from '../settings';
import type { ApiKeyRecord, NewApiKey } from './api-key';
import { ApiKeysService } from './api-keys.service';
import type { GrantOutcome, KeyStore, LedgerTotals } from './key-store';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter';

class MemoryKeyStore implements KeyStore {
  readonly keys = new Map<string, ApiKeyRecord & { secretHash: Buffer }>();
  lookups = 0;
  down = false;

  createKey(key: NewApiKey): Promise<ApiKeyRecord> {
    const record = { ...key, balance: key.credits, held: 0, revokedAt: null };
    this.keys.set(key.id, record);
    return Promise.resolve(record);
  }
  listKeys() {
    return Promise.resolve([...this.keys.values()]);
  }
  getKey(id: string) {
    return Promise.resolve(this.keys.get(id));
  }
  findKeyBySecretHash(secretHash: Buffer) {
    this.lookups += 1;
    if (this.down)
      return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const key = [...this.keys.values()].find((candidate) => candidate.secretHash.equals(secretHash));
    return Promise.resolve(key && { ...key });
  }
  revokeKey(id: string, at: Date) {
    const key = this.keys.get(id);
    if (key) key.revokedAt ??= at;
    return Promise.resolve(key);
  }
  grantCredits(): Promise<GrantOutcome> {
    return Promise.resolve({ kind: 'not_found' });
  }
  ledger() {
    return Promise.resolve([]);
  }
  ledgerTotals(): Promise<LedgerTotals> {
    return Promise.resolve({ balance: 0, held: 0, spent: 0 });
  }
}

const settings: GatewaySettings = {
  prices: { arithmetic: 1 },
  defaultRateLimitPerMinute: 600,
  rateLimitBurstSeconds: 10,
  keyCacheMs: 5_000,
  maxWaitMs: 60_000,
  taskDeadlineMs: 300_000,
  retentionMs: 3_600_000,
  maintenanceIntervalMs: 30_000,
  staleSubmissionMs: 60_000,
  resultsConcurrency: 1,
  adminToken: undefined,
  webhookSecret: 'a-master-secret-of-at-least-32-characters',
  webhookTimeoutMs: 1_000,
};

function setUp(limiter: RateLimiter = new MemoryRateLimiter(10)) {
  let now = 1_000_000;
  const store = new MemoryKeyStore();
  const service = new ApiKeysService(
    store,
    limiter,
    settings,
    { now: () => now },
    new GatewayMetrics(new ServiceMetrics('gateway')),
  );
  return { store, service, advance: (ms: number) => (now += ms) };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isGatewayError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('ApiKeysService', () => {
  it('creates a key whose secret is only ever kept as a hash, with its webhook secret', async () => {
    const { store, service } = setUp();
    const created = await service.create({ name: 'app', scopes: ['arithmetic', 'arithmetic'], credits: 10 });
    expect(created.secret).toMatch(/^vsk_/);
    expect(created.key).toMatchObject({ scopes: ['arithmetic'], rateLimitPerMinute: 600, balance: 10 });
    expect(created.webhookSecret).toMatch(/^whsec_/);
    expect(JSON.stringify([...store.keys.values()])).not.toContain(created.secret);
    expect((await service.authenticate(`Bearer ${created.secret}`)).id).toBe(created.key.id);
  });

  it('refuses missing, malformed, unknown and revoked keys', async () => {
    const { service } = setUp();
    const { secret, key } = await service.create({ name: 'app', scopes: ['arithmetic'], credits: 0 });
    expect(await codeOf(service.admit(undefined))).toBe(GatewayErrorCode.Unauthorized);
    expect(await codeOf(service.admit(`Token ${secret}`))).toBe(GatewayErrorCode.Unauthorized);
    expect(await codeOf(service.admit('Bearer vsk_short'))).toBe(GatewayErrorCode.Unauthorized);
    expect(await codeOf(service.admit(`Bearer vsk_${'x'.repeat(43)}`))).toBe(GatewayErrorCode.Unauthorized);
    await service.revoke(key.id);
    expect(await codeOf(service.admit(`Bearer ${secret}`))).toBe(GatewayErrorCode.KeyRevoked);
  });

  it('remembers keys for GATEWAY_KEY_CACHE_MS, so a revocation elsewhere shows within that time', async () => {
    const { store, service, advance } = setUp();
    const { secret, key } = await service.create({ name: 'app', scopes: ['arithmetic'], credits: 0 });
    await service.authenticate(`Bearer ${secret}`);
    await service.authenticate(`Bearer ${secret}`);
    expect(store.lookups).toBe(1);
    // Revoked by another replica (straight in the store): this one still knows the key as it was...
    await store.revokeKey(key.id, new Date());
    expect((await service.authenticate(`Bearer ${secret}`)).id).toBe(key.id);
    // ...until its memory expires.
    advance(5_001);
    expect(await codeOf(service.authenticate(`Bearer ${secret}`))).toBe(GatewayErrorCode.KeyRevoked);
  });

  it('answers 429 with Retry-After past the rate limit, and 503 while a store is away', async () => {
    const { store, service } = setUp();
    const { secret } = await service.create({
      name: 'app',
      scopes: ['arithmetic'],
      credits: 0,
      rateLimitPerMinute: 6,
    });
    await service.admit(`Bearer ${secret}`);
    await expect(service.admit(`Bearer ${secret}`)).rejects.toMatchObject({
      code: GatewayErrorCode.RateLimited,
      retryAfterSeconds: 10,
    });
    store.down = true;
    expect(await codeOf(service.admit(`Bearer vsk_${'y'.repeat(43)}`))).toBe(GatewayErrorCode.Unavailable);
    const broken = setUp({ take: () => Promise.reject(new Error("Stream isn't writeable")) });
    const other = await broken.service.create({ name: 'b', scopes: ['arithmetic'], credits: 0 });
    expect(await codeOf(broken.service.admit(`Bearer ${other.secret}`))).toBe(GatewayErrorCode.Unavailable);
  });
});
