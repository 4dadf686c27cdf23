import { taskTypeNameSchema } from '@vstack/protocol';
import { z } from 'zod';
import type { ApiKeyRecord } from './api-key';
import type { LedgerEntry } from './key-store';
import { ledgerKinds } from './key-store';

const credits = z.int().min(0).max(1_000_000_000_000);

/** The body of `POST /v1/admin/keys`. */
export const createKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(100).meta({ description: 'Who the key is for, e.g. the application.' }),
  scopes: z
    .array(taskTypeNameSchema)
    .min(1)
    .max(20)
    .meta({ description: 'The task types the key may submit.' }),
  credits: credits.default(0).meta({ description: 'Credits granted at creation.' }),
  rate_limit_per_minute: z
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .meta({ description: 'Requests a minute (GATEWAY_DEFAULT_RATE_LIMIT_PER_MINUTE when left out).' }),
});
export type CreateKeyBody = z.output<typeof createKeySchema>;

/** The body of `POST /v1/admin/keys/{id}/credits`. */
export const grantCreditsSchema = z.strictObject({
  amount: z
    .int()
    .min(-1_000_000_000_000)
    .max(1_000_000_000_000)
    .refine((amount) => amount !== 0, 'must not be 0')
    .meta({ description: 'Credits to add; negative to take some away (never below a balance of 0).' }),
  note: z.string().max(500).optional().meta({ description: 'Why, for the ledger.' }),
});

/** The query of `GET /v1/admin/keys/{id}/ledger` and `GET /v1/account/ledger`. */
export const ledgerQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 500')
    .transform(Number)
    .pipe(
      z.int().min(1, 'must be a whole number from 1 to 500').max(500, 'must be a whole number from 1 to 500'),
    )
    .optional(),
  before: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a ledger entry id')
    .transform(Number)
    .optional()
    .meta({ description: 'Entries older than this entry id (paging back).' }),
});

const timestamp = z.iso.datetime({ offset: true });

/** An API key as the admin routes show it (never its secret, except once at creation). */
export const keyViewSchema = z.object({
  id: z.uuid(),
  object: z.literal('api_key'),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  rate_limit_per_minute: z.int(),
  balance: z.int(),
  held: z.int(),
  created_at: timestamp,
  revoked_at: timestamp.nullable(),
});
export type KeyView = z.output<typeof keyViewSchema>;

export const createdKeySchema = keyViewSchema.extend({
  secret: z.string().meta({ description: 'The API key: shown this once, stored only as a hash.' }),
  webhook_secret: z
    .string()
    .nullable()
    .meta({ description: "The secret of this key's webhook signatures (null while webhooks are off)." }),
});

export const ledgerEntrySchema = z.object({
  id: z.int(),
  object: z.literal('ledger_entry'),
  kind: z.enum(ledgerKinds),
  amount: z.int(),
  task_id: z.uuid().nullable(),
  note: z.string().nullable(),
  created_at: timestamp,
});

export function toKeyView(key: ApiKeyRecord): KeyView {
  return {
    id: key.id,
    object: 'api_key',
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    rate_limit_per_minute: key.rateLimitPerMinute,
    balance: key.balance,
    held: key.held,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt === null ? null : key.revokedAt.toISOString(),
  };
}

export function toLedgerEntryView(entry: LedgerEntry): z.output<typeof ledgerEntrySchema> {
  return {
    id: entry.id,
    object: 'ledger_entry',
    kind: entry.kind,
    amount: entry.amount,
    task_id: entry.taskId,
    note: entry.note,
    created_at: entry.createdAt.toISOString(),
  };
}
