import { ProtocolError, ProtocolErrorCode } from './errors';

/**
 * A source of uniform floats in [0, 1), shaped like `Math.random`. Generators take one so that a seed reproduces
 * a challenge exactly; production may pass `Math.random` or a seeded source.
 */
export type RandomSource = () => number;

const UINT32_RANGE = 2 ** 32;

/** mulberry32: a small 32-bit PRNG; the same integer seed (taken modulo 2^32) always gives the same sequence. */
export function mulberry32(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) {
    throw new ProtocolError(ProtocolErrorCode.InvalidOptions, `a seed must be a safe integer, got ${seed}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32_RANGE;
  };
}

const encoder = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `text`: a stable seed derived from content. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A uniform integer in [min, max], both inclusive. */
export function randomInt(random: RandomSource, min: number, max: number): number {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
    throw new ProtocolError(ProtocolErrorCode.InvalidOptions, `no integer lies in [${min}, ${max}]`);
  }
  // min(…) guards against a source that returns exactly 1.
  return Math.min(max, min + Math.floor(random() * (max - min + 1)));
}

/** A uniformly chosen element of a non-empty list. */
export function randomPick<T>(random: RandomSource, items: readonly T[]): T {
  if (items.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.InvalidOptions, 'cannot pick from an empty list');
  }
  return items[randomInt(random, 0, items.length - 1)] as T;
}

/** A uniform unsigned 32-bit integer, e.g. to seed another generator. */
export function randomUint32(random: RandomSource): number {
  return Math.min(UINT32_RANGE - 1, Math.floor(random() * UINT32_RANGE));
}
