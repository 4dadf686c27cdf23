import { z } from 'zod';

/** What the .env.example and the start-up error know about a variable beyond its type. */
export interface VariableMeta {
  description: string;
  /** Never printed: tokens, mnemonics, seeds, passwords. */
  sensitive?: boolean;
  /** The value the .env.example shows when there is no default. */
  example?: string;
}

/** Attaches a description (and the sensitive flag) to a variable's schema. */
export function describeVariable<T extends z.ZodType>(schema: T, meta: VariableMeta): T {
  return schema.meta({ ...meta });
}

const redisUrlPattern = /^rediss?:\/\//;
const postgresUrlPattern = /^postgres(ql)?:\/\//;

/** A redis:// or rediss:// URL. */
export const redisUrl = z
  .string({ error: 'is required' })
  .refine((value) => redisUrlPattern.test(value) && URL.canParse(value), 'must be a redis:// URL');

/** A postgres:// or postgresql:// URL. */
export const postgresUrl = z
  .string({ error: 'is required' })
  .refine((value) => postgresUrlPattern.test(value) && URL.canParse(value), 'must be a postgres:// URL');

/** An http(s) URL. */
export const httpUrl = z
  .string({ error: 'is required' })
  .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), 'must be an http:// or https:// URL');

/** A ws(s) URL. */
export const wsUrl = z
  .string({ error: 'is required' })
  .refine((value) => /^wss?:\/\//.test(value) && URL.canParse(value), 'must be a ws:// or wss:// URL');

/** One or more ws(s) URLs separated by commas, in order of preference. */
export const wsUrls = z.string({ error: 'is required' }).transform((value, ctx) => {
  const urls = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (urls.length === 0)
    ctx.addIssue({ code: 'custom', message: 'must name at least one ws:// or wss:// URL' });
  for (const url of urls) {
    if (!/^wss?:\/\//.test(url) || !URL.canParse(url)) {
      ctx.addIssue({ code: 'custom', message: `"${url}" must be a ws:// or wss:// URL` });
    }
  }
  return urls;
});

/** Subnet ids separated by commas (empty for none). */
export const netuidList = z.string({ error: 'is required' }).transform((value, ctx) => {
  const netuids: number[] = [];
  for (const part of value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const netuid = /^\d+$/.test(part) ? Number(part) : Number.NaN;
    if (netuid >= 0 && netuid <= 65_535) netuids.push(netuid);
    else ctx.addIssue({ code: 'custom', message: `"${part}" must be a netuid from 0 to 65535` });
  }
  return [...new Set(netuids)];
});

const identityName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -');

/** One validator wallet the sidecar acts for. */
export const sidecarIdentitySchema = z
  .object({
    name: identityName,
    netuid: z.number().int().min(0).max(65_535),
    token: z.string().min(16, 'must be at least 16 characters'),
    /** A dev URI (//Alice), a mnemonic or a 0x seed. */
    hotkey: z.string().min(1).optional(),
    /** A Bittensor wallet's name (used when hotkey is absent). */
    wallet: z.string().min(1).optional(),
    walletHotkey: z.string().min(1).default('default'),
  })
  .strict()
  .refine((identity) => identity.hotkey !== undefined || identity.wallet !== undefined, {
    message: 'needs "hotkey" or "wallet"',
  });

export type SidecarIdentity = z.output<typeof sidecarIdentitySchema>;

/** The sidecar's identities, as a JSON array; names and tokens must be unique. */
export const sidecarIdentities = z.string({ error: 'is required' }).transform((value, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of identities' });
    return z.NEVER;
  }
  const result = z.array(sidecarIdentitySchema).safeParse(parsed);
  if (!result.success) {
    for (const issue of result.error.issues) {
      // Never echo the input: it holds tokens and secrets.
      ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(root)'} ${issue.message}` });
    }
    return z.NEVER;
  }
  const names = new Set<string>();
  const tokens = new Set<string>();
  for (const identity of result.data) {
    if (names.has(identity.name))
      ctx.addIssue({ code: 'custom', message: `identity "${identity.name}" appears twice` });
    if (tokens.has(identity.token)) {
      ctx.addIssue({
        code: 'custom',
        message: `identity "${identity.name}" shares its token with another identity`,
      });
    }
    names.add(identity.name);
    tokens.add(identity.token);
  }
  return result.data;
});

/** An SS58 address (a hotkey or coldkey), as text. */
export const ss58Address = z
  .string({ error: 'is required' })
  .regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'must be an SS58 address');

/** An amount in rao (1 TAO = 10^9 rao) given as a whole number, as a bigint. */
export const raoAmount = z
  .string({ error: 'is required' })
  .regex(/^\d+$/, 'must be a whole number of rao')
  .transform((value) => BigInt(value));

/** A TCP port given as a string of digits. */
export const port = z
  .string({ error: 'is required' })
  .regex(/^\d+$/, 'must be a whole number from 1 to 65535')
  .transform(Number)
  .refine((value) => value >= 1 && value <= 65535, 'must be a whole number from 1 to 65535');

/** A whole number within bounds, given as a string. */
export function integer(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string({ error: 'is required' })
    .regex(/^-?\d+$/, message)
    .transform(Number)
    .refine((value) => value >= min && value <= max, message);
}

/** A number within bounds, given as a string. */
export function decimal(min: number, max: number) {
  const message = `must be a number from ${min} to ${max}`;
  return z
    .string({ error: 'is required' })
    .regex(/^-?\d+(\.\d+)?$/, message)
    .transform(Number)
    .refine((value) => value >= min && value <= max, message);
}

/**
 * `name=weight` pairs separated by commas, e.g. `arithmetic=2,summarization=1`: non-negative weights for names
 * from `names`, each at most once, at least one above 0.
 */
export function namedWeights(names: readonly string[]) {
  return z.string({ error: 'is required' }).transform((value, ctx) => {
    const weights: Record<string, number> = {};
    for (const entry of value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const match = /^([^=\s]+)\s*=\s*(\d+(\.\d+)?)$/.exec(entry);
      const name = match?.[1];
      if (match === null || name === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}" must be name=weight with a non-negative number`,
        });
      } else if (!names.includes(name)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is not one of ${names.join(', ')}` });
      } else if (name in weights) {
        ctx.addIssue({ code: 'custom', message: `"${name}" appears twice` });
      } else {
        weights[name] = Number(match[2]);
      }
    }
    if (!Object.values(weights).some((weight) => weight > 0)) {
      ctx.addIssue({ code: 'custom', message: 'must give at least one name a weight above 0' });
    }
    return weights;
  });
}

/** true/false, 1/0, yes/no. */
export const flag = z.string({ error: 'is required' }).transform((value, ctx) => {
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  ctx.addIssue({ code: 'custom', message: 'must be true or false' });
  return z.NEVER;
});

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
