// Epoch arithmetic exactly as subtensor computes it (pallets/subtensor: get_epoch_index,
// blocks_until_next_epoch, get_reveal_blocks). A subnet's epoch runs in the block where
// blocks_until_next_epoch is 0, i.e. when (block + netuid + 1) % (tempo + 1) == tempo; the next block
// starts the next epoch index.

/** Where a block sits in a subnet's epoch cycle. */
export interface EpochInfo {
  netuid: number;
  tempo: number;
  block: number;
  /** subtensor's get_epoch_index: floor((block + netuid + 1) / (tempo + 1)). */
  index: number;
  /** First block of this epoch index (0 for the first, which the offset starts before genesis). */
  startBlock: number;
  /** Block in which this epoch's step runs (the last block of the index); null when tempo is 0. */
  epochBlock: number | null;
  /** First block of the next epoch index; null when tempo is 0 (the subnet never runs an epoch). */
  nextEpochStart: number | null;
  /** subtensor's blocks_until_next_epoch: 0 means the epoch runs in this block; null when tempo is 0. */
  blocksUntilNextEpoch: number | null;
}

function assertBlockArgs(netuid: number, tempo: number, block: number): void {
  for (const [name, value] of [
    ['netuid', netuid],
    ['tempo', tempo],
    ['block', block],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
}

/** subtensor's get_epoch_index(netuid, block) for a subnet with the given tempo. */
export function epochIndex(netuid: number, tempo: number, block: number): number {
  assertBlockArgs(netuid, tempo, block);
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/** subtensor's blocks_until_next_epoch(netuid, tempo, block); null when tempo is 0 (never). */
export function blocksUntilNextEpoch(netuid: number, tempo: number, block: number): number | null {
  assertBlockArgs(netuid, tempo, block);
  if (tempo === 0) return null;
  return tempo - ((block + netuid + 1) % (tempo + 1));
}

/** The epoch position of `block` on subnet `netuid` with `tempo`. */
export function epochAt(netuid: number, tempo: number, block: number): EpochInfo {
  const index = epochIndex(netuid, tempo, block);
  const remainder = (block + netuid + 1) % (tempo + 1);
  // The first epoch index of a chain starts before block 0; it is reported from block 0.
  const startBlock = Math.max(0, block - remainder);
  const until = blocksUntilNextEpoch(netuid, tempo, block);
  return {
    netuid,
    tempo,
    block,
    index,
    startBlock,
    epochBlock: until === null ? null : block + until,
    nextEpochStart: until === null ? null : block + until + 1,
    blocksUntilNextEpoch: until,
  };
}

/** Blocks in which a hash commit made at `commitBlock` may be revealed (subtensor's get_reveal_blocks). */
export interface RevealWindow {
  /** The epoch index in which the reveal is accepted. */
  revealEpoch: number;
  firstBlock: number;
  lastBlock: number;
}

/** The reveal window of a commit: exactly the epoch `epochIndex(commitBlock) + revealPeriod`. */
export function revealWindow(
  netuid: number,
  tempo: number,
  revealPeriodEpochs: number,
  commitBlock: number,
): RevealWindow {
  if (!Number.isSafeInteger(revealPeriodEpochs) || revealPeriodEpochs < 0) {
    throw new RangeError(`revealPeriodEpochs must be a non-negative integer, got ${revealPeriodEpochs}`);
  }
  const revealEpoch = epochIndex(netuid, tempo, commitBlock) + revealPeriodEpochs;
  const firstBlock = Math.max(0, revealEpoch * (tempo + 1) - (netuid + 1));
  return { revealEpoch, firstBlock, lastBlock: firstBlock + tempo };
}
