/** A storage key or value as 0x-prefixed hex, the way the JSON-RPC carries them. */
export type Hex = `0x${string}`;

interface KeyHistory {
  /** Block numbers at which the value changed, ascending. */
  blocks: number[];
  /** The value from that block on; null when the key was removed. */
  values: (Hex | null)[];
}

/**
 * The node's storage with every block's version kept (an archive node): each key holds the list of its
 * changes, so a read at any block is a binary search and a block costs only what it changed. Writes go
 * to layered overlays (one per block being built, one more per extrinsic) that commit or roll back.
 */
export class VersionedState {
  private readonly history = new Map<Hex, KeyHistory>();
  private readonly overlays: Map<Hex, Hex | null>[] = [];
  private sortedKeys: Hex[] | undefined;

  /** The value at a block (undefined when absent). */
  readAt(key: Hex, block: number): Hex | undefined {
    const entry = this.history.get(key);
    if (!entry) return undefined;
    const { blocks, values } = entry;
    let low = 0;
    let high = blocks.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((blocks[middle] ?? Infinity) <= block) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found < 0 ? undefined : (values[found] ?? undefined);
  }

  /** The value as the block being built sees it: the open overlays first, then the latest committed. */
  read(key: Hex): Hex | undefined {
    for (let index = this.overlays.length - 1; index >= 0; index--) {
      const overlay = this.overlays[index];
      if (overlay?.has(key)) return overlay.get(key) ?? undefined;
    }
    const entry = this.history.get(key);
    return entry ? (entry.values[entry.values.length - 1] ?? undefined) : undefined;
  }

  write(key: Hex, value: Hex | null): void {
    const overlay = this.overlays[this.overlays.length - 1];
    if (!overlay) throw new Error('storage written outside a block');
    overlay.set(key, value);
  }

  /** Opens a layer of writes (a block, or an extrinsic inside it). */
  begin(): void {
    this.overlays.push(new Map());
  }

  /** Drops the innermost layer's writes. */
  rollback(): void {
    this.overlays.pop();
  }

  /** Drops every open layer (a block that could not be built). */
  rollbackAll(): void {
    this.overlays.length = 0;
  }

  /** Folds the innermost layer into the one below. */
  commitLayer(): void {
    const top = this.overlays.pop();
    const below = this.overlays[this.overlays.length - 1];
    if (!top || !below) throw new Error('no layer to commit into');
    for (const [key, value] of top) below.set(key, value);
  }

  /** Stores the outermost layer as the given block's changes; returns them (key, value) in key order. */
  commitBlock(block: number): [Hex, Hex | null][] {
    const top = this.overlays.pop();
    if (!top || this.overlays.length > 0) throw new Error('a block commits with exactly one open layer');
    const changes: [Hex, Hex | null][] = [];
    for (const [key, value] of top) {
      let entry = this.history.get(key);
      const previous = entry ? entry.values[entry.values.length - 1] : undefined;
      if ((previous ?? null) === value) continue;
      if (!entry) {
        entry = { blocks: [], values: [] };
        this.history.set(key, entry);
        this.sortedKeys?.splice(lowerBound(this.sortedKeys, key), 0, key);
      }
      entry.blocks.push(block);
      entry.values.push(value);
      changes.push([key, value]);
    }
    return changes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Keys that exist at a block and start with a prefix, in order, after `startKey` when given. */
  keysAt(prefix: string, block: number, startKey?: string, limit = Infinity): Hex[] {
    this.sortedKeys ??= [...this.history.keys()].sort();
    const keys: Hex[] = [];
    let index = lowerBound(this.sortedKeys, startKey && startKey > prefix ? startKey : prefix);
    for (; index < this.sortedKeys.length && keys.length < limit; index++) {
      const key = this.sortedKeys[index];
      if (key === undefined || !key.startsWith(prefix)) break;
      if (startKey !== undefined && key <= startKey) continue;
      if (this.readAt(key, block) !== undefined) keys.push(key);
    }
    return keys;
  }

  /** Keys under any of the prefixes as the block being built sees them (committed and pending), in order. */
  keys(...prefixes: string[]): Hex[] {
    const found = new Set<Hex>();
    this.sortedKeys ??= [...this.history.keys()].sort();
    for (const prefix of prefixes) {
      for (let index = lowerBound(this.sortedKeys, prefix); index < this.sortedKeys.length; index++) {
        const key = this.sortedKeys[index];
        if (key === undefined || !key.startsWith(prefix)) break;
        found.add(key);
      }
    }
    for (const overlay of this.overlays) {
      for (const key of overlay.keys()) if (prefixes.some((prefix) => key.startsWith(prefix))) found.add(key);
    }
    return [...found].filter((key) => this.read(key) !== undefined).sort();
  }
}

function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] ?? '') < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
