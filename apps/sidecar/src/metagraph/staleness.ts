/** The chain head as last announced, and when (clock ms). */
export interface SeenHead {
  number: number;
  hash: string;
  seenAt: number;
}

/** How old an answer may be before it carries a warning, and before it is refused. */
export interface StalenessLimits {
  /** Past this many blocks: a `warning` header. */
  softBlocks: number;
  /** Past this many blocks: 503 `cache_stale`. */
  hardBlocks: number;
  /** Expected time between blocks: while no head arrives, the chain is assumed to move on at this pace. */
  blockTimeMs: number;
}

export type StalenessLevel = 'fresh' | 'soft' | 'hard';

export interface Staleness {
  ageBlocks: number;
  level: StalenessLevel;
}

/**
 * The head the chain has most likely reached by `now`: the last one seen plus the blocks that should have been
 * produced since, so an answer keeps ageing while the chain is away. Undefined before any head was seen.
 */
export function expectedHead(
  head: SeenHead | undefined,
  now: number,
  blockTimeMs: number,
): number | undefined {
  if (!head) return undefined;
  return head.number + Math.max(0, Math.floor((now - head.seenAt) / blockTimeMs));
}

/**
 * Blocks between the expected head and `block`. Without a head, the age counts from `storedAt`, when the
 * answer was read (another replica's snapshot served before this one saw a head).
 */
export function ageInBlocks(
  block: number,
  storedAt: number,
  head: SeenHead | undefined,
  now: number,
  blockTimeMs: number,
): number {
  const reference =
    expectedHead(head, now, blockTimeMs) ?? block + Math.max(0, Math.floor((now - storedAt) / blockTimeMs));
  return Math.max(0, reference - block);
}

/** Judges an age against the limits: past `softBlocks` a warning, past `hardBlocks` a refusal. */
export function judgeAge(ageBlocks: number, limits: StalenessLimits): Staleness {
  if (ageBlocks > limits.hardBlocks) return { ageBlocks, level: 'hard' };
  if (ageBlocks > limits.softBlocks) return { ageBlocks, level: 'soft' };
  return { ageBlocks, level: 'fresh' };
}

/** The `warning` header (RFC 7234 code 110, "Response is Stale") for an answer past the soft limit. */
export function staleWarning(ageBlocks: number, limits: StalenessLimits): string {
  return `110 - "the cached metagraph is ${ageBlocks} blocks behind the chain head (soft limit ${limits.softBlocks})"`;
}
