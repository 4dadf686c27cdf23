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
