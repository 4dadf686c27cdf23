import type { DataSource } from 'typeorm';
import type { ApiKeyRecord, NewApiKey } from './api-key';
import type { GrantOutcome, KeyStore, LedgerEntry, LedgerKind, LedgerTotals } from './key-store';

/** A row of gateway_api_keys as pg returns it (bigint as text). */
export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rate_limit_per_minute: number;
  balance: string;
  held: string;
  created_at: Date;
  revoked_at: Date | null;
}

interface LedgerRow {
  id: string;
  api_key_id: string;
  task_id: string | null;
  kind: LedgerKind;
  amount: string;
  note: string | null;
  created_at: Date;
}

/** The columns of an API key, for SELECT and RETURNING lists. */
export const apiKeyColumns = `"id", "name", "prefix", "scopes", "rate_limit_per_minute", "balance", "held", "created_at", "revoked_at"`;

/** An API key from its row. */
export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    balance: Number(row.balance),
    held: Number(row.held),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

function toLedgerEntry(row: LedgerRow): LedgerEntry {
  return {
    id: Number(row.id),
    apiKeyId: row.api_key_id,
    taskId: row.task_id,
    kind: row.kind,
    amount: Number(row.amount),
    note: row.note,
    createdAt: row.created_at,
  };
}

/**
 * API keys and their credits in the gateway's PostgreSQL schema. Statements that return rows are SELECTs
 * (data-modifying ones wrapped in a WITH): TypeORM answers a bare UPDATE or DELETE with [rows, count].
 */
export class PostgresKeyStore implements KeyStore {
  constructor(private readonly dataSource: DataSource) {}

  async createKey(key: NewApiKey): Promise<ApiKeyRecord> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `WITH created AS (
         INSERT INTO "gateway_api_keys"
           ("id", "name", "prefix", "secret_hash", "scopes", "rate_limit_per_minute", "balance", "created_at")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING ${apiKeyColumns}
       ), granted AS (
         INSERT INTO "gateway_credit_ledger" ("api_key_id", "kind", "amount", "note", "created_at")
         SELECT "id", 'grant', "balance", 'initial credits', "created_at" FROM created WHERE "balance" > 0
       )
       SELECT * FROM created`,
      [
        key.id,
        key.name,
        key.prefix,
        key.secretHash,
        key.scopes,
        key.rateLimitPerMinute,
        key.credits,
        key.createdAt,
      ],
    );
    return toApiKey(rows[0] as ApiKeyRow);
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT ${apiKeyColumns} FROM "gateway_api_keys" ORDER BY "created_at", "id"`,
    );
    return rows.map(toApiKey);
  }

  async getKey(id: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT ${apiKeyColumns} FROM "gateway_api_keys" WHERE "id" = $1`,
      [id],
    );
    return rows[0] && toApiKey(rows[0]);
  }

  async findKeyBySecretHash(secretHash: Buffer): Promise<ApiKeyRecord | undefined> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT ${apiKeyColumns} FROM "gateway_api_keys" WHERE "secret_hash" = $1`,
      [secretHash],
    );
    return rows[0] && toApiKey(rows[0]);
  }

  async revokeKey(id: string, at: Date): Promise<ApiKeyRecord | undefined> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `WITH revoked AS (
         UPDATE "gateway_api_keys" SET "revoked_at" = COALESCE("revoked_at", $2)
         WHERE "id" = $1 RETURNING ${apiKeyColumns}
       )
       SELECT * FROM revoked`,
      [id, at],
    );
    return rows[0] && toApiKey(rows[0]);
  }

  async grantCredits(id: string, amount: number, note: string | null, at: Date): Promise<GrantOutcome> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `WITH granted AS (
         UPDATE "gateway_api_keys" SET "balance" = "balance" + $2
         WHERE "id" = $1 AND "balance" + $2 >= 0
         RETURNING ${apiKeyColumns}
       ), entry AS (
         INSERT INTO "gateway_credit_ledger" ("api_key_id", "kind", "amount", "note", "created_at")
         SELECT "id", 'grant', $2, $3, $4 FROM granted
       )
       SELECT * FROM granted`,
      [id, amount, note, at],
    );
    const [row] = rows;
    if (row) return { kind: 'granted', key: toApiKey(row) };
    const key = await this.getKey(id);
    return key ? { kind: 'insufficient', balance: key.balance } : { kind: 'not_found' };
  }

  async ledger(id: string, options: { limit: number; beforeId?: number }): Promise<LedgerEntry[]> {
    const rows = await this.dataSource.query<LedgerRow[]>(
      `SELECT "id", "api_key_id", "task_id", "kind", "amount", "note", "created_at"
       FROM "gateway_credit_ledger"
       WHERE "api_key_id" = $1 AND ($2::bigint IS NULL OR "id" < $2)
       ORDER BY "id" DESC LIMIT $3`,
      [id, options.beforeId ?? null, options.limit],
    );
    return rows.map(toLedgerEntry);
  }

  async ledgerTotals(id: string): Promise<LedgerTotals> {
    const rows = await this.dataSource.query<{ balance: string; held: string; spent: string }[]>(
      `SELECT COALESCE(sum("amount"), 0) AS "balance",
              COALESCE(-sum("amount") FILTER (WHERE "kind" IN ('hold', 'release')), 0) AS "held",
              COALESCE(-sum("amount") FILTER (WHERE "kind" = 'debit'), 0) AS "spent"
       FROM "gateway_credit_ledger" WHERE "api_key_id" = $1`,
      [id],
    );
    const row = rows[0];
    return {
      balance: Number(row?.balance ?? 0),
      held: Number(row?.held ?? 0),
      spent: Number(row?.spent ?? 0),
    };
  }
}
