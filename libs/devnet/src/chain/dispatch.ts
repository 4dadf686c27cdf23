import type { Codec } from '@polkadot/types/types';
import type { Storage } from './storage';

/** A call as decoded from an extrinsic: pallet and method in polkadot-js spelling, arguments as codecs. */
export interface CallInfo {
  /** camelCase pallet name, e.g. subtensorModule. */
  section: string;
  /** camelCase call name, e.g. setWeights. */
  method: string;
  args: Codec[];
}

/** What a block hook or a call may use: storage of the block being built, its number, and events. */
export interface BlockContext {
  storage: Storage;
  block: number;
  /** Block time in ms (the timestamp inherent of this block). */
  now: number;
  emit(pallet: string, event: string, args: unknown[]): void;
}

export interface DispatchContext extends BlockContext {
  /** SS58 address (format 42) of the signer. */
  signer: string;
}

/** A call failed with a pallet's own error; the extrinsic's changes roll back and ExtrinsicFailed carries it. */
export class DispatchFailure extends Error {
  constructor(
    readonly pallet: string,
    readonly error: string,
  ) {
    super(`${pallet}.${error}`);
    this.name = 'DispatchFailure';
  }
}

/** The chain logic behind the blocks: which calls exist, what each does, and what runs as a block starts. */
export interface RuntimeLogic {
  supports(call: CallInfo): boolean;
  onInitialize(context: BlockContext): void;
  dispatch(context: DispatchContext, call: CallInfo): void;
}
