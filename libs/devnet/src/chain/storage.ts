import type { Codec } from '@polkadot/types/types';
import type { StorageItem, SubtensorRuntime } from '../runtime/subtensor-runtime';
import type { Hex } from './state';

/** Where a Storage view reads and (for the block being built) writes raw values. */
export interface StateAccess {
  read(key: Hex): Hex | undefined;
  /** Keys under any of the prefixes. */
  keys(...prefixes: Hex[]): Hex[];
  write?(key: Hex, value: Hex | null): void;
}

interface NumberLike {
  toNumber(): number;
  toBigInt(): bigint;
}

function isNumberLike(codec: unknown): codec is NumberLike {
  return typeof (codec as Partial<NumberLike>).toBigInt === 'function';
}

/** A Codec holding an integer, as a number. */
export function codecNumber(codec: Codec): number {
  if (!isNumberLike(codec)) throw new TypeError(`expected an integer codec, got ${codec.toRawType()}`);
  return codec.toNumber();
}

/** A Codec holding an integer, as a bigint. */
export function codecBigInt(codec: Codec): bigint {
  if (!isNumberLike(codec)) throw new TypeError(`expected an integer codec, got ${codec.toRawType()}`);
  return codec.toBigInt();
}

/** A Codec holding a Vec of integers, as bigints. */
export function codecBigInts(codec: Codec): bigint[] {
  if (!Array.isArray(codec)) throw new TypeError(`expected a Vec codec, got ${codec.toRawType()}`);
  return (codec as Codec[]).map(codecBigInt);
}

/**
 * Storage through the metadata's types: reads decode (Default items fall back, Optional ones are Options),
 * writes encode. Item names are the metadata's (PascalCase); `sub*` helpers are for SubtensorModule.
 */
export class Storage {
  constructor(
    readonly runtime: SubtensorRuntime,
    private readonly access: StateAccess,
  ) {}

  item(pallet: string, name: string): StorageItem {
    return this.runtime.storage(pallet, name);
  }

  raw(item: StorageItem, ...args: unknown[]): Hex | undefined {
    return this.access.read(item.key(...args));
  }

  /** Full keys of the item's entries whose first map keys are `args`. */
  keys(pallet: string, name: string, ...args: unknown[]): Hex[] {
    return this.access.keys(this.item(pallet, name).prefix(...args));
  }

  /** Full keys under any of several prefixes, in one pass. */
  keysUnder(prefixes: Hex[]): Hex[] {
    return prefixes.length === 0 ? [] : this.access.keys(...prefixes);
  }

  get(pallet: string, name: string, ...args: unknown[]): Codec {
    const item = this.item(pallet, name);
    return item.decode(this.access.read(item.key(...args)));
  }

  set(pallet: string, name: string, args: unknown[], value: unknown): void {
    const item = this.item(pallet, name);
    this.writer()(item.key(...args), item.encode(value));
  }

  remove(pallet: string, name: string, ...args: unknown[]): void {
    this.writer()(this.item(pallet, name).key(...args), null);
  }

  removeKey(key: Hex): void {
    this.writer()(key, null);
  }

  private writer(): (key: Hex, value: Hex | null) => void {
    const write = this.access.write?.bind(this.access);
    if (!write) throw new Error('this storage view is read-only');
    return write;
  }

  sub(name: string, ...args: unknown[]): Codec {
    return this.get('SubtensorModule', name, ...args);
  }

  subNumber(name: string, ...args: unknown[]): number {
    return codecNumber(this.sub(name, ...args));
  }

  subBigInt(name: string, ...args: unknown[]): bigint {
    return codecBigInt(this.sub(name, ...args));
  }

  subBool(name: string, ...args: unknown[]): boolean {
    return this.sub(name, ...args).toJSON() === true;
  }

  /** A Vec<u16>/Vec<u64>/Vec<bool> item (per-uid vectors) as plain values. */
  subNumbers(name: string, ...args: unknown[]): number[] {
    return (this.sub(name, ...args).toJSON() as (number | boolean)[]).map(Number);
  }

  subSet(name: string, args: unknown[], value: unknown): void {
    this.set('SubtensorModule', name, args, value);
  }

  subRemove(name: string, ...args: unknown[]): void {
    this.remove('SubtensorModule', name, ...args);
  }
}
