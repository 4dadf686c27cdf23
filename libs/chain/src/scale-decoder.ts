import type { SiType, SiTypeDef } from '@polkadot/types/interfaces';

/** The part of the metadata's type registry the decoder reads (a PortableRegistry or a registry's lookup). */
export interface TypeLookup {
  getSiType(typeId: number): SiType;
}

// A SCALE decoder compiled from the metadata's portable type registry into plain JS values, for large
// answers read often (a 256-neuron metagraph): @polkadot/types builds a Codec object per field, which costs
// more than the round trip itself. Unsigned integers up to 32 bits become numbers, wider ones bigints;
// byte arrays and Vec<u8> become Uint8Array; composites with named fields become objects keyed by the
// metadata's field names; a composite with one unnamed field is that field; Option is the value or null;
// other enums are `{ variant, value }`.

/** A decoded SCALE value. */
export type ScaleValue =
  number | bigint | boolean | string | null | Uint8Array | ScaleValue[] | { [field: string]: ScaleValue };

/** Reads one value at the cursor and advances it. */
export type ScaleReader = (input: ScaleInput) => ScaleValue;

/** The bytes being decoded and the read position. */
export class ScaleInput {
  offset = 0;
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Fails unless `count` more bytes are there. */
  need(count: number): void {
    if (this.offset + count > this.bytes.length) {
      throw new RangeError(
        `SCALE input ends at ${this.bytes.length}, needed ${count} bytes at ${this.offset}`,
      );
    }
  }

  /** A SCALE compact integer, as a number when it is a safe integer, else as a bigint. */
  compact(): number | bigint {
    this.need(1);
    const first = this.bytes[this.offset] ?? 0;
    switch (first & 0b11) {
      case 0:
        this.offset += 1;
        return first >>> 2;
      case 1:
        this.need(2);
        this.offset += 2;
        return this.view.getUint16(this.offset - 2, true) >>> 2;
      case 2:
        this.need(4);
        this.offset += 4;
        return this.view.getUint32(this.offset - 4, true) >>> 2;
      default: {
        const length = (first >>> 2) + 4;
        this.need(1 + length);
        let value = 0n;
        for (let i = length; i >= 1; i--) value = (value << 8n) | BigInt(this.bytes[this.offset + i] ?? 0);
        this.offset += 1 + length;
        return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
    }
  }

  /** A compact used as a length or count. */
  length(): number {
    const value = this.compact();
    if (typeof value === 'bigint') throw new RangeError(`SCALE length ${value} is too large`);
    return value;
  }

  /** The next `count` bytes (a view into the input, not a copy). */
  bytesOf(count: number): Uint8Array {
    this.need(count);
    this.offset += count;
    return this.bytes.subarray(this.offset - count, this.offset);
  }
}

function unsigned(bits: number): ScaleReader {
  switch (bits) {
    case 8:
      return (input) => {
        input.need(1);
        return input.bytes[input.offset++] ?? 0;
      };
    case 16:
      return (input) => {
        input.need(2);
        input.offset += 2;
        return input.view.getUint16(input.offset - 2, true);
      };
    case 32:
      return (input) => {
        input.need(4);
        input.offset += 4;
        return input.view.getUint32(input.offset - 4, true);
      };
    case 64:
      return (input) => {
        input.need(8);
        input.offset += 8;
        return input.view.getBigUint64(input.offset - 8, true);
      };
    default:
      return (input) => {
        const bytes = bits / 8;
        input.need(bytes);
        let value = 0n;
        for (let i = bytes - 1; i >= 0; i--)
          value = (value << 8n) | BigInt(input.bytes[input.offset + i] ?? 0);
        input.offset += bytes;
        return value;
      };
  }
}

function signed(bits: number): ScaleReader {
  const read = unsigned(bits);
  return (input) => {
    const value = read(input);
    return typeof value === 'number'
      ? (value << (32 - bits)) >> (32 - bits)
      : BigInt.asIntN(bits, value as bigint);
  };
}

const textDecoder = new TextDecoder();

function primitive(name: string): ScaleReader {
  switch (name) {
    case 'Bool':
      return (input) => {
        input.need(1);
        return input.bytes[input.offset++] === 1;
      };
    case 'Char':
      return (input) => String.fromCodePoint(unsigned(32)(input) as number);
    case 'Str':
      return (input) => textDecoder.decode(input.bytesOf(input.length()));
    case 'U8':
      return unsigned(8);
    case 'U16':
      return unsigned(16);
    case 'U32':
      return unsigned(32);
    case 'U64':
      return unsigned(64);
    case 'U128':
      return unsigned(128);
    case 'U256':
      return unsigned(256);
    case 'I8':
      return signed(8);
    case 'I16':
      return signed(16);
    case 'I32':
      return signed(32);
    case 'I64':
      return signed(64);
    case 'I128':
      return signed(128);
    case 'I256':
      return signed(256);
    default:
      throw new RangeError(`unknown SCALE primitive ${name}`);
  }
}

/** Compiles readers for the types of one portable registry, once per type id. */
export class ScaleDecoder {
  readonly #readers = new Map<number, ScaleReader>();

  constructor(private readonly lookup: TypeLookup) {}

  /** Decodes `bytes` as type `typeId`, requiring every byte to be used. */
  decode(typeId: number, bytes: Uint8Array): ScaleValue {
    const input = new ScaleInput(bytes);
    const value = this.reader(typeId)(input);
    if (input.offset !== bytes.length) {
      throw new RangeError(`SCALE value of type ${typeId} ended at ${input.offset} of ${bytes.length} bytes`);
    }
    return value;
  }

  /** The reader for type `typeId` (compiled on first use; recursive types resolve lazily). */
  reader(typeId: number): ScaleReader {
    const known = this.#readers.get(typeId);
    if (known) return known;
    // Registered before compiling so a type that contains itself reads through this indirection.
    const slot: { compiled?: ScaleReader } = {};
    this.#readers.set(typeId, (input) => (slot.compiled ?? this.reader(typeId))(input));
    const compiled = this.#compile(this.lookup.getSiType(typeId).def);
    slot.compiled = compiled;
    this.#readers.set(typeId, compiled);
    return compiled;
  }

  #isU8(typeId: number): boolean {
    const def = this.lookup.getSiType(typeId).def;
    return def.isPrimitive && def.asPrimitive.type === 'U8';
  }

  #compile(def: SiTypeDef): ScaleReader {
    if (def.isPrimitive) return primitive(def.asPrimitive.type);
    if (def.isCompact) {
      return (input) => input.compact();
    }
    if (def.isSequence) {
      const item = def.asSequence.type.toNumber();
      if (this.#isU8(item)) return (input) => input.bytesOf(input.length());
      const read = this.reader(item);
      return (input) => {
        const count = input.length();
        const values = new Array<ScaleValue>(count);
        for (let i = 0; i < count; i++) values[i] = read(input);
        return values;
      };
    }
    if (def.isArray) {
      const count = def.asArray.len.toNumber();
      const item = def.asArray.type.toNumber();
      if (this.#isU8(item)) return (input) => input.bytesOf(count);
      const read = this.reader(item);
      return (input) => {
        const values = new Array<ScaleValue>(count);
        for (let i = 0; i < count; i++) values[i] = read(input);
        return values;
      };
    }
    if (def.isTuple) {
      const reads = def.asTuple.map((id) => this.reader(id.toNumber()));
      if (reads.length === 0) return () => null;
      return (input) => reads.map((read) => read(input));
    }
    if (def.isComposite) {
      const fields = def.asComposite.fields.map((field) => ({
        name: field.name.isSome ? field.name.unwrap().toString() : undefined,
        read: this.reader(field.type.toNumber()),
      }));
      const only = fields[0];
      if (fields.length === 1 && only && only.name === undefined) return only.read;
      if (fields.length === 0) return () => null;
      if (fields.every((field) => field.name === undefined)) {
        return (input) => fields.map((field) => field.read(input));
      }
      return (input) => {
        const value: Record<string, ScaleValue> = {};
        for (const field of fields) value[field.name ?? ''] = field.read(input);
        return value;
      };
    }
    if (def.isVariant) {
      const variants = new Map(
        def.asVariant.variants.map((variant) => {
          const fields = variant.fields.map((field) => this.reader(field.type.toNumber()));
          const name = variant.name.toString();
          return [variant.index.toNumber(), { name, fields }] as const;
        }),
      );
      const names = [...variants.values()].map((variant) => variant.name).join(',');
      if (names === 'None,Some') {
        const some = variants.get(1)?.fields[0];
        return (input) => {
          input.need(1);
          return input.bytes[input.offset++] === 0 ? null : (some?.(input) ?? null);
        };
      }
      return (input) => {
        input.need(1);
        const index = input.bytes[input.offset++] ?? 0;
        const variant = variants.get(index);
        if (!variant) throw new RangeError(`SCALE enum has no variant ${index}`);
        const values = variant.fields.map((read) => read(input));
        return {
          variant: variant.name,
          value: values.length === 0 ? null : values.length === 1 ? (values[0] ?? null) : values,
        };
      };
    }
    throw new RangeError(`SCALE type ${def.type} is not supported by the metagraph decoder`);
  }
}
