import type { ApiKeyRecord, NewApiKey } from './api-key';

/** The kinds of credit movement: each is one ledger row. */
export const ledgerKinds = ['grant', 'hold', 'release', 'debit'] as const;
export type LedgerKind = (typeof ledgerKinds)[number];

/**
 * One credit movement. `amount` is what it did to the key's spendable balance: a grant adds (or, negative, takes
 * away), a hold takes a task's price aside, a release gives it back, and a debit spends it. A completed task is
 * therefore hold (-p), release (+p), debit (-p); a failed or cancelled one is hold (-p), release (+p).
 */
export interface LedgerEntry {
  id: number;
  apiKeyId: string;
  taskId: string | null;
  kind: LedgerKind;
  amount: number;
  note: string | null;
  createdAt: Date;
}

/** The totals of a key's ledger: its balance, what is held by unfinished tasks and what it has spent. */
export interface LedgerTotals {
  balance: number;
  held: number;
  spent: number;
}

/** What granting credits did. */
export type GrantOutcome =
  | { kind: 'granted'; key: ApiKeyRecord }
  | { kind: 'not_found' }
  /** A negative grant would take the balance below 0. */
  | { kind: 'insufficient'; balance: number };

/** API keys and their credits in PostgreSQL. */
export interface KeyStore {
  createKey(key: NewApiKey): Promise<ApiKeyRecord>;
  listKeys(): Promise<ApiKeyRecord[]>;
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  findKeyBySecretHash(secretHash: Buffer): Promise<ApiKeyRecord | undefined>;
  /** Marks a key revoked (once; a second call returns it unchanged). */
  revokeKey(id: string, at: Date): Promise<ApiKeyRecord | undefined>;
  /** Adds credits to a key (or takes them away with a negative amount), with a ledger row. */
  grantCredits(id: string, amount: number, note: string | null, at: Date): Promise<GrantOutcome>;
  /** A key's ledger, newest first; `beforeId` pages back. */
  ledger(id: string, options: { limit: number; beforeId?: number }): Promise<LedgerEntry[]>;
  /** The key's totals computed from its ledger rows alone. */
  ledgerTotals(id: string): Promise<LedgerTotals>;
}
