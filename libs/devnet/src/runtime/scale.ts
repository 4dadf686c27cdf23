// Hand-written SCALE for the hot paths (the neuron runtime APIs at 256 neurons): a few primitives, checked
// against the metadata's own codecs in the tests.

/** Appends SCALE-encoded values to a growing byte buffer. */
export class ScaleWriter {
  private buffer = new Uint8Array(4096);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  bool(value: boolean): this {
    return this.u8(value ? 1 : 0);
  }

  u16(value: number): this {
    return this.u8(value).u8(value >> 8);
  }

  u64(value: number | bigint): this {
    let rest = BigInt(value);
    for (let index = 0; index < 8; index++, rest >>= 8n) this.u8(Number(rest & 0xffn));
    return this;
  }

  compact(value: number | bigint): this {
    const big = BigInt(value);
    if (big < 0n) throw new RangeError('compact values are unsigned');
    if (big < 1n << 6n) return this.u8(Number(big) << 2);
    if (big < 1n << 14n) {
      const encoded = (Number(big) << 2) | 0b01;
      return this.u8(encoded).u8(encoded >> 8);
    }
    if (big < 1n << 30n) {
      const encoded = ((Number(big) << 2) | 0b10) >>> 0;
      return this.u8(encoded)
        .u8(encoded >> 8)
        .u8(encoded >> 16)
        .u8(encoded >>> 24);
    }
    const raw: number[] = [];
    for (let rest = big; rest > 0n; rest >>= 8n) raw.push(Number(rest & 0xffn));
    this.u8(((raw.length - 4) << 2) | 0b11);
    for (const byte of raw) this.u8(byte);
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Reads SCALE values from a byte array, front to back. */
export class ScaleReader {
  private offset = 0;

  constructor(private readonly data: Uint8Array) {}

  private take(bytes: number): Uint8Array {
    if (this.offset + bytes > this.data.length) throw new RangeError('SCALE input is too short');
    const slice = this.data.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return slice;
  }

  u8(): number {
    const [byte] = this.take(1);
    return byte ?? 0;
  }

  bool(): boolean {
    return this.u8() === 1;
  }

  u16(): number {
    const [low = 0, high = 0] = this.take(2);
    return low | (high << 8);
  }

  u64(): bigint {
    const bytes = this.take(8);
    let value = 0n;
    for (let index = 7; index >= 0; index--) value = (value << 8n) | BigInt(bytes[index] ?? 0);
    return value;
  }

  compact(): number {
    const first = this.data[this.offset] ?? 0;
    switch (first & 0b11) {
      case 0b00:
        return this.u8() >> 2;
      case 0b01:
        return this.u16() >> 2;
      case 0b10: {
        const [a = 0, b = 0, c = 0, d = 0] = this.take(4);
        return (a | (b << 8) | (c << 16) | (d << 24)) >>> 2;
      }
      default:
        throw new RangeError('compact lengths above 2^30 are not expected here');
    }
  }

  vec<T>(item: (reader: ScaleReader) => T): T[] {
    const count = this.compact();
    const items: T[] = [];
    for (let index = 0; index < count; index++) items.push(item(this));
    return items;
  }
}
