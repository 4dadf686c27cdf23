import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { type GatewayConfig, gatewayConfigSchema, parseConfig } from '@vstack/config';
import { createLogger } from '@vstack/observability';
import { createServiceApp, type ServiceHandle } from '@vstack/runtime';
import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type TestSchema,
  uniqueTestName,
} from '@vstack/testing';
import pg from 'pg';
import { inject } from 'vitest';
import type { GatewayOverrides } from '../../src/gateway.module';
import { gatewayService } from '../../src/service';

export const ADMIN_TOKEN = 'admin-token-for-the-gateway-tests';
export const WEBHOOK_SECRET = 'webhook-master-secret-for-the-gateway-tests';
export const METRICS_TOKEN = 'metrics-token-for-the-gateway-tests';

/** A gateway running in this process on its own Postgres schema and Redis prefix. */
export interface TestGateway {
  url: string;
  config: GatewayConfig;
  handle: ServiceHandle;
  prefix: string;
  schema: TestSchema;
  /** A pool on the gateway's schema, for looking at its records. */
  db: pg.Pool;
  logs(): string;
  /** Stops the app, then the pool; `drop` also deletes its schema and Redis keys. */
  close(options?: { drop?: boolean }): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  overrides?: GatewayOverrides;
  /** Reuse a schema and prefix (a second replica, or a restart). */
  schema?: TestSchema;
  prefix?: string;
}

/** Starts the gateway module in-process (migrating its schema at start) and listens on a free port. */
export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const databaseUrl = inject('databaseUrl');
  const redisUrl = inject('redisUrl');
  const schema = options.schema ?? (await createTestSchema(databaseUrl, 'gateway'));
  const prefix = options.prefix ?? uniqueTestName('gateway');
  const config = parseConfig('gateway', gatewayConfigSchema, {
    PORT: '1',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema.schema,
    DATABASE_MIGRATE_ON_START: 'true',
    DATABASE_POOL_SIZE: '8',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    METRICS_TOKEN,
    ...options.env,
  });
  const output = new PassThrough();
  let logText = '';
  output.on('data', (chunk: Buffer) => {
    logText += chunk.toString();
  });
  const logger = createLogger({
    service: 'gateway',
    level: config.LOG_LEVEL,
    format: 'json',
    destination: output,
  });
  const handle = await createServiceApp(gatewayService(options.overrides), config, logger);
  await handle.listen(0, '127.0.0.1');
  const server = handle.app.getHttpServer() as { address(): AddressInfo };
  const { port } = server.address();
  const db = new pg.Pool({
    connectionString: databaseUrl,
    options: `-c search_path=${schema.schema}`,
    max: 4,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    handle,
    prefix,
    schema,
    db,
    logs: () => logText,
    async close({ drop = true } = {}) {
      await handle.close();
      // A route that failed with a bare 500 is a bug whatever the test asserted.
      const unhandled = logText.split('\n').filter((line) => line.includes('"msg":"unhandled error"'));
      await db.end();
      if (drop) {
        await schema.drop();
        await deleteRedisKeysWithPrefix(redisUrl, prefix);
      }
      if (unhandled.length > 0) throw new Error(`the gateway failed with 500s:\n${unhandled.join('\n')}`);
    },
  };
}

/** The fields of the gateway's JSON answers that the tests read (which of them are there depends on the route). */
export interface ApiBody {
  [field: string]: unknown;
  id: string;
  status: string;
  secret: string;
  prefix: string;
  webhook_secret: string | null;
  revoked_at: string | null;
  balance: number;
  next_cursor: string | null;
  openapi: string;
  paths: Record<string, unknown>;
  components: { schemas: Record<string, unknown> };
  usage: { total_tokens: number };
  error: { code: string; message: string; details: { path: string; message: string }[] };
  data: ApiBody[];
  kind: string;
  amount: number;
  note: string | null;
}

/** An HTTP answer, its body parsed when it is JSON. */
export interface Answer<T = ApiBody> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Calls the gateway; `json` is sent as the body. */
export async function call<T = ApiBody>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** A key made through the admin API. */
export interface TestKey {
  id: string;
  secret: string;
  webhookSecret: string;
}

export async function createKey(
  gateway: TestGateway,
  options: { name?: string; scopes?: string[]; credits?: number; rate?: number } = {},
): Promise<TestKey> {
  const answer = await call(gateway.url, 'POST', '/v1/admin/keys', {
    token: ADMIN_TOKEN,
    json: {
      name: options.name ?? 'test app',
      scopes: options.scopes ?? ['arithmetic', 'summarization', 'text-generation'],
      credits: options.credits ?? 1_000,
      rate_limit_per_minute: options.rate ?? 100_000,
    },
  });
  if (answer.status !== 201) throw new Error(`creating a key failed: ${answer.status} ${answer.text}`);
  return { id: answer.body.id, secret: answer.body.secret, webhookSecret: answer.body.webhook_secret ?? '' };
}

/** A key's stored balance and held credits next to the sums of its ledger rows. */
export async function creditState(gateway: TestGateway, keyId: string) {
  const { rows } = await gateway.db.query<{
    balance: string;
    held: string;
    ledger_balance: string;
    ledger_held: string;
    ledger_spent: string;
    entries: string;
  }>(
    `SELECT k.balance, k.held,
            COALESCE(sum(l.amount), 0) AS ledger_balance,
            COALESCE(-sum(l.amount) FILTER (WHERE l.kind IN ('hold', 'release')), 0) AS ledger_held,
            COALESCE(-sum(l.amount) FILTER (WHERE l.kind = 'debit'), 0) AS ledger_spent,
            count(l.id) AS entries
     FROM gateway_api_keys k LEFT JOIN gateway_credit_ledger l ON l.api_key_id = k.id
     WHERE k.id = $1 GROUP BY k.id`,
    [keyId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no key ${keyId}`);
  return {
    balance: Number(row.balance),
    held: Number(row.held),
    ledgerBalance: Number(row.ledger_balance),
    ledgerHeld: Number(row.ledger_held),
    spent: Number(row.ledger_spent),
    entries: Number(row.entries),
  };
}
