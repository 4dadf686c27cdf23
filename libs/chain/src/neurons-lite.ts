import type { SiTypeDef } from '@polkadot/types/interfaces';
import { decodeAxonIp } from './axon';
import type { AddressCache, Neuron } from './metagraph';
import { ScaleDecoder, ScaleInput, type ScaleReader, type TypeLookup } from './scale-decoder';
import { U16_MAX } from './weights';

// A reader for Vec<NeuronInfoLite> specialised once per metadata: the metadata's field list becomes a flat list of
// steps (what the field is for, how its bytes are laid out), and one loop per neuron writes into local variables
// and builds the Neuron at the end. Compared with the generic reader it creates no object per struct, no array per
// stake entry and no bigint for values that fit a double; it gives the same Neuron values.

/** How an unsigned integer is laid out: SCALE compact, or fixed little-endian of this many bytes. */
const COMPACT = 0;
type Layout = typeof COMPACT | 1 | 2 | 4 | 8 | 16;

const enum Role {
  Hotkey,
  Coldkey,
  Uid,
  Active,
  ValidatorPermit,
  Stake,
  Rank,
  Trust,
  Incentive,
  Consensus,
  Dividends,
  ValidatorTrust,
  Emission,
  LastUpdate,
  AxonBlock,
  AxonVersion,
  AxonIp,
  AxonPort,
  AxonIpType,
  AxonProtocol,
  /** A field the metagraph does not read, of a fixed size. */
  Skip,
  /** A field the metagraph does not read: an integer (netuid, pruning_score). */
  SkipNumber,
  /** A field the metagraph does not read, of another variable size. */
  SkipRead,
}

class Step {
  constructor(
    readonly role: Role,
    /** The integer layout (number roles, and the amount of a stake entry). */
    readonly layout: Layout = COMPACT,
    /** Bytes to skip (Skip), or the bytes before the amount in a stake entry. */
    readonly size = 0,
    readonly read?: ScaleReader,
  ) {}
}

const NUMBER_FIELDS: Record<string, Role> = {
  uid: Role.Uid,
  rank: Role.Rank,
  trust: Role.Trust,
  incentive: Role.Incentive,
  consensus: Role.Consensus,
  dividends: Role.Dividends,
  validator_trust: Role.ValidatorTrust,
  emission: Role.Emission,
  last_update: Role.LastUpdate,
};
const AXON_FIELDS: Record<string, Role> = {
  block: Role.AxonBlock,
  version: Role.AxonVersion,
  ip: Role.AxonIp,
  port: Role.AxonPort,
  ip_type: Role.AxonIpType,
  protocol: Role.AxonProtocol,
};
/** What the generic path refuses to do without (rank and trust read as 0 when absent, flags as false). */
const REQUIRED: readonly Role[] = [
  Role.Hotkey,
  Role.Coldkey,
  Role.Uid,
  Role.Stake,
  Role.Incentive,
  Role.Consensus,
  Role.Dividends,
  Role.ValidatorTrust,
  Role.Emission,
  Role.LastUpdate,
  Role.AxonBlock,
  Role.AxonVersion,
  Role.AxonIp,
  Role.AxonPort,
  Role.AxonIpType,
  Role.AxonProtocol,
];

const PRIMITIVE_BYTES: Record<string, number> = {
  Bool: 1,
  U8: 1,
  I8: 1,
  U16: 2,
  I16: 2,
  U32: 4,
  I32: 4,
  Char: 4,
  U64: 8,
  I64: 8,
  U128: 16,
  I128: 16,
  U256: 32,
  I256: 32,
};
const UNSIGNED: Record<string, Layout> = { U8: 1, U16: 2, U32: 4, U64: 8, U128: 16 };

class Compiler {
  constructor(
    private readonly lookup: TypeLookup,
    private readonly generic: ScaleDecoder,
  ) {}

  def(typeId: number): SiTypeDef {
    return this.lookup.getSiType(typeId).def;
  }

  /** The type a composite with one unnamed field stands for (the generic reader reads it as that field). */
  unwrap(typeId: number): SiTypeDef {
    let def = this.def(typeId);
    for (;;) {
      if (!def.isComposite) return def;
      const fields = def.asComposite.fields;
      const only = fields[0];
      if (fields.length !== 1 || !only || only.name.isSome) return def;
      def = this.def(only.type.toNumber());
    }
  }

  unsigned(typeId: number): Layout | undefined {
    const def = this.unwrap(typeId);
    if (def.isPrimitive) return UNSIGNED[def.asPrimitive.type];
    if (def.isCompact) {
      const inner = this.unwrap(def.asCompact.type.toNumber());
      return inner.isPrimitive && UNSIGNED[inner.asPrimitive.type] !== undefined ? COMPACT : undefined;
    }
    return undefined;
  }

  isBool(typeId: number): boolean {
    const def = this.unwrap(typeId);
    return def.isPrimitive && def.asPrimitive.type === 'Bool';
  }

  isAccount(typeId: number): boolean {
    const def = this.unwrap(typeId);
    if (!def.isArray || def.asArray.len.toNumber() !== 32) return false;
    const item = this.unwrap(def.asArray.type.toNumber());
    return item.isPrimitive && item.asPrimitive.type === 'U8';
  }

  /** The encoded size of a type when every value has the same one. */
  fixedSize(typeId: number): number | undefined {
    const def = this.def(typeId);
    if (def.isPrimitive) return PRIMITIVE_BYTES[def.asPrimitive.type];
    if (def.isArray) {
      const item = this.fixedSize(def.asArray.type.toNumber());
      return item === undefined ? undefined : item * def.asArray.len.toNumber();
    }
    const members = def.isComposite
      ? def.asComposite.fields.map((field) => field.type.toNumber())
      : def.isTuple
        ? def.asTuple.map((id) => id.toNumber())
        : undefined;
    if (!members) return undefined;
    let total = 0;
    for (const member of members) {
      const size = this.fixedSize(member);
      if (size === undefined) return undefined;
      total += size;
    }
    return total;
  }

  skip(typeId: number): Step {
    const size = this.fixedSize(typeId);
    if (size !== undefined) return new Step(Role.Skip, COMPACT, size);
    const layout = this.unsigned(typeId);
    if (layout !== undefined) return new Step(Role.SkipNumber, layout);
    return new Step(Role.SkipRead, COMPACT, 0, this.generic.reader(typeId));
  }

  /** Stake: a list of (coldkey, amount) pairs, as a tuple or a composite of unnamed fields. */
  stake(typeId: number): Step | undefined {
    const def = this.unwrap(typeId);
    if (!def.isSequence) return undefined;
    const entry = this.def(def.asSequence.type.toNumber());
    const members = entry.isTuple
      ? entry.asTuple.map((id) => id.toNumber())
      : entry.isComposite && entry.asComposite.fields.every((field) => field.name.isNone)
        ? entry.asComposite.fields.map((field) => field.type.toNumber())
        : [];
    const [key, amount] = members;
    if (members.length !== 2 || key === undefined || amount === undefined) return undefined;
    const keySize = this.fixedSize(key);
    const layout = this.unsigned(amount);
    if (keySize === undefined || layout === undefined) return undefined;
    return new Step(Role.Stake, layout, keySize);
  }

  axon(typeId: number): Step[] | undefined {
    const def = this.def(typeId);
    if (!def.isComposite) return undefined;
    const steps: Step[] = [];
    for (const field of def.asComposite.fields) {
      const type = field.type.toNumber();
      const role = field.name.isSome ? AXON_FIELDS[field.name.unwrap().toString()] : undefined;
      if (role === undefined) {
        steps.push(this.skip(type));
        continue;
      }
      const layout = this.unsigned(type);
      if (layout === undefined) return undefined;
      steps.push(new Step(role, layout));
    }
    return steps;
  }

  /** The steps of one NeuronInfoLite, or undefined when a field the metagraph reads has another shape. */
  neuron(typeId: number): Step[] | undefined {
    const def = this.def(typeId);
    if (!def.isComposite) return undefined;
    const steps: Step[] = [];
    for (const field of def.asComposite.fields) {
      const type = field.type.toNumber();
      const name = field.name.isSome ? field.name.unwrap().toString() : '';
      const number = NUMBER_FIELDS[name];
      if (number !== undefined) {
        const layout = this.unsigned(type);
        if (layout === undefined) return undefined;
        steps.push(new Step(number, layout));
      } else if (name === 'hotkey' || name === 'coldkey') {
        if (!this.isAccount(type)) return undefined;
        steps.push(new Step(name === 'hotkey' ? Role.Hotkey : Role.Coldkey));
      } else if (name === 'active' || name === 'validator_permit') {
        if (!this.isBool(type)) return undefined;
        steps.push(new Step(name === 'active' ? Role.Active : Role.ValidatorPermit));
      } else if (name === 'stake') {
        const stake = this.stake(type);
        if (!stake) return undefined;
        steps.push(stake);
      } else if (name === 'axon_info') {
        const axon = this.axon(type);
        if (!axon) return undefined;
        steps.push(...axon);
      } else {
        steps.push(this.skip(type));
      }
    }
    for (const role of REQUIRED) {
      if (steps.filter((step) => step.role === role).length !== 1) return undefined;
    }
    return steps;
  }
}

const TWO_32 = 2 ** 32;

// The readers below keep their common case small enough for the engine to inline into the neuron loop; the rare
// wide values go through separate functions.

function ended(input: ScaleInput, count: number): RangeError {
  return new RangeError(
    `SCALE input ends at ${input.bytes.length}, needed ${count} bytes at ${input.offset}`,
  );
}

/** A compact integer, as a number when it is below 2^53, else as a bigint. */
function compactValue(input: ScaleInput): number | bigint {
  const bytes = input.bytes;
  const at = input.offset;
  if (at >= bytes.length) throw ended(input, 1);
  const first = bytes[at] ?? 0;
  switch (first & 0b11) {
    case 0:
      input.offset = at + 1;
      return first >>> 2;
    case 1:
      if (at + 2 > bytes.length) throw ended(input, 2);
      input.offset = at + 2;
      return (first | ((bytes[at + 1] ?? 0) << 8)) >>> 2;
    case 2:
      if (at + 4 > bytes.length) throw ended(input, 4);
      input.offset = at + 4;
      return (
        (first |
          ((bytes[at + 1] ?? 0) << 8) |
          ((bytes[at + 2] ?? 0) << 16) |
          ((bytes[at + 3] ?? 0) << 24)) >>>
        2
      );
    default:
      return compactLong(input, (first >>> 2) + 4);
  }
}

/** A compact integer of 4 to 67 bytes after its first byte. */
function compactLong(input: ScaleInput, length: number): number | bigint {
  const bytes = input.bytes;
  if (input.offset + 1 + length > bytes.length) throw ended(input, 1 + length);
  const start = input.offset + 1;
  input.offset = start + length;
  if (length <= 6) {
    let value = 0;
    for (let i = length - 1; i >= 0; i--) value = value * 256 + (bytes[start + i] ?? 0);
    return value;
  }
  let value = 0n;
  for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[start + i] ?? 0);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A fixed-width little-endian unsigned integer, as a number when it is below 2^53, else as a bigint. */
function fixedValue(input: ScaleInput, width: Exclude<Layout, typeof COMPACT>): number | bigint {
  const bytes = input.bytes;
  const at = input.offset;
  if (at + width > bytes.length) throw ended(input, width);
  input.offset = at + width;
  switch (width) {
    case 1:
      return bytes[at] ?? 0;
    case 2:
      return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
    case 4:
      return input.view.getUint32(at, true);
    case 8: {
      const low = input.view.getUint32(at, true);
      const high = input.view.getUint32(at + 4, true);
      return high < 0x200000 ? high * TWO_32 + low : (BigInt(high) << 32n) | BigInt(low);
    }
    case 16: {
      const view = input.view;
      // Axon IPs: an IPv4 address fills the lowest 32 bits only.
      if (
        view.getUint32(at + 4, true) === 0 &&
        view.getUint32(at + 8, true) === 0 &&
        view.getUint32(at + 12, true) === 0
      ) {
        return view.getUint32(at, true);
      }
      return wideValue(bytes, at, 16);
    }
  }
}

function wideValue(bytes: Uint8Array, at: number, width: number): number | bigint {
  let value = 0n;
  for (let i = width - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i] ?? 0);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** An unsigned integer of `layout`, as a number when it is below 2^53, else as a bigint. */
function unsignedValue(input: ScaleInput, layout: Layout): number | bigint {
  return layout === COMPACT ? compactValue(input) : fixedValue(input, layout);
}

function toNumber(value: number | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

function toBigInt(value: number | bigint): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

function readBool(input: ScaleInput): boolean {
  if (input.offset >= input.bytes.length) throw ended(input, 1);
  return input.bytes[input.offset++] === 1;
}

/** Moves past `count` bytes. */
function skip(input: ScaleInput, count: number): void {
  if (input.offset + count > input.bytes.length) throw ended(input, count);
  input.offset += count;
}

function formatIPv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Decodes NeuronInfoRuntimeApi.get_neurons_lite answers straight into Neurons (see the top of this file). */
export class NeuronsLiteDecoder {
  private constructor(private readonly steps: readonly Step[]) {}

  /**
   * The decoder for the Vec<NeuronInfoLite> type `typeId` of this metadata; undefined when the type is laid out
   * differently from what it reads (the generic reader then applies).
   */
  static compile(
    lookup: TypeLookup,
    typeId: number,
    generic = new ScaleDecoder(lookup),
  ): NeuronsLiteDecoder | undefined {
    const compiler = new Compiler(lookup, generic);
    const vector = compiler.def(typeId);
    if (!vector.isSequence) return undefined;
    const steps = compiler.neuron(vector.asSequence.type.toNumber());
    return steps ? new NeuronsLiteDecoder(steps) : undefined;
  }

  /** The neurons in an answer, every byte of which must belong to it (hotkey and coldkey text from `addresses`). */
  decode(bytes: Uint8Array, addresses: AddressCache): Neuron[] {
    // A plain Uint8Array view: Buffer's own indexing and subarray are slower in this loop.
    const input = new ScaleInput(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const count = input.length();
    const neurons: Neuron[] = [];
    for (let i = 0; i < count; i++) neurons.push(this.#neuron(input, addresses));
    if (input.offset !== bytes.length) {
      throw new RangeError(`get_neurons_lite ended at ${input.offset} of ${bytes.length} bytes`);
    }
    return neurons;
  }

  #neuron(input: ScaleInput, addresses: AddressCache): Neuron {
    let hotkey = '';
    let coldkey = '';
    let uid = 0;
    let active = false;
    let validatorPermit = false;
    let stake = 0n;
    let rank = 0;
    let trust = 0;
    let incentive = 0;
    let consensus = 0;
    let dividends = 0;
    let validatorTrust = 0;
    let emission = 0n;
    let lastUpdate = 0;
    let axonBlock = 0;
    let axonVersion = 0;
    let ip: number | bigint = 0;
    let port = 0;
    let ipType = 0;
    let protocol = 0;
    const steps = this.steps;
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s] as Step;
      switch (step.role) {
        case Role.Hotkey:
          if (input.offset + 32 > input.bytes.length) throw ended(input, 32);
          hotkey = addresses.encodeAt(input.bytes, input.offset);
          input.offset += 32;
          break;
        case Role.Coldkey:
          if (input.offset + 32 > input.bytes.length) throw ended(input, 32);
          coldkey = addresses.encodeAt(input.bytes, input.offset);
          input.offset += 32;
          break;
        case Role.Uid:
          uid = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Active:
          active = readBool(input);
          break;
        case Role.ValidatorPermit:
          validatorPermit = readBool(input);
          break;
        case Role.Stake: {
          const entries = input.length();
          let small = 0;
          let large = 0n;
          for (let e = 0; e < entries; e++) {
            skip(input, step.size);
            const amount = unsignedValue(input, step.layout);
            if (typeof amount === 'number' && small + amount <= Number.MAX_SAFE_INTEGER) small += amount;
            else large += toBigInt(amount);
          }
          stake = large + BigInt(small);
          break;
        }
        case Role.Rank:
          rank = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Trust:
          trust = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Incentive:
          incentive = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Consensus:
          consensus = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Dividends:
          dividends = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.ValidatorTrust:
          validatorTrust = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Emission:
          emission = toBigInt(unsignedValue(input, step.layout));
          break;
        case Role.LastUpdate:
          lastUpdate = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.AxonBlock:
          axonBlock = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.AxonVersion:
          axonVersion = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.AxonIp:
          ip = unsignedValue(input, step.layout);
          break;
        case Role.AxonPort:
          port = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.AxonIpType:
          ipType = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.AxonProtocol:
          protocol = toNumber(unsignedValue(input, step.layout));
          break;
        case Role.Skip:
          skip(input, step.size);
          break;
        case Role.SkipNumber:
          unsignedValue(input, step.layout);
          break;
        case Role.SkipRead:
          step.read?.(input);
          break;
      }
    }
    const raw = { rank, trust, incentive, consensus, dividends, validatorTrust };
    return {
      uid,
      hotkey,
      coldkey,
      active,
      axon: {
        ip:
          typeof ip === 'number' && ip < TWO_32 && ipType !== 6
            ? formatIPv4(ip)
            : decodeAxonIp(toBigInt(ip), ipType),
        port,
        ipType,
        protocol,
        version: axonVersion,
        block: axonBlock,
      },
      stake,
      validatorPermit,
      rank: rank / U16_MAX,
      trust: trust / U16_MAX,
      incentive: incentive / U16_MAX,
      consensus: consensus / U16_MAX,
      dividends: dividends / U16_MAX,
      validatorTrust: validatorTrust / U16_MAX,
      raw,
      emission,
      lastUpdate,
      blockAtRegistration: 0,
    };
  }
}
