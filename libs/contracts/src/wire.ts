import { z } from 'zod';

// Wire schemas describe the JSON as it travels: no defaults, transforms or coercion, so the type a caller
// sends is exactly the type a handler receives (and the other way round for responses).

/** A block number. */
export const blockNumber = z.number().int().nonnegative();

/** A subnet id (u16). */
export const netuid = z.number().int().min(0).max(65_535);

/** A neuron's uid within its subnet (u16). */
export const uid = z.number().int().min(0).max(65_535);

/** An SS58 address (hotkey or coldkey). */
export const ss58Address = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'must be an SS58 address');

/** A 32-byte block hash, 0x-prefixed hex. */
export const blockHash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex hash');

/** An amount in rao, as a decimal string: u64 amounts do not fit a JSON number. */
export const rao = z.string().regex(/^(0|[1-9][0-9]*)$/, 'must be a whole number of rao as a decimal string');

/** A chain value normalised from u16 to 0..1 (incentive, consensus, dividends, trust). */
export const unitInterval = z.number().min(0).max(1);

/** Where a miner serves: the axon it announced on chain. */
export const axonSchema = z.object({
  ip: z.string().min(1),
  port: z.number().int().min(0).max(65_535),
  /** The protocol number announced with the axon (4 = TCP as the SDK writes it). */
  protocol: z.number().int().nonnegative(),
});

export type Axon = z.infer<typeof axonSchema>;
