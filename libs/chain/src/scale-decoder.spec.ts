import { TypeRegistry } from '@polkadot/types';
import type { SiType } from '@polkadot/types/interfaces';
import { compactToU8a, u8aToHex } from '@polkadot/util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScaleDecoder, ScaleInput, type TypeLookup } from './scale-decoder';

const registry = new TypeRegistry();
registry.register({
  Entry: { a: 'u16', b: 'Compact<u64>', c: 'Bytes', d: 'Option<u16>', e: '[u8; 4]', f: 'bool' },
});

// A portable registry by hand: the shapes subtensor's metadata uses for NeuronInfoLite-like answers.
const types: unknown[] = [
  { def: { primitive: 'U8' } },
  { def: { primitive: 'U16' } },
  { def: { primitive: 'U64' } },
  { def: { compact: { type: 2 } } },
  { def: { sequence: { type: 0 } } },
  {
    def: {
      composite: {
        fields: [
          { name: 'a', type: 1 },
          { name: 'b', type: 3 },
          { name: 'c', type: 4 },
          { name: 'd', type: 7 },
          { name: 'e', type: 8 },
          { name: 'f', type: 9 },
        ],
      },
    },
  },
  { def: { sequence: { type: 5 } } },
  {
    path: ['Option'],
    def: {
      variant: {
        variants: [
          { name: 'None', index: 0, fields: [] },
          { name: 'Some', index: 1, fields: [{ type: 1 }] },
        ],
      },
    },
  },
  { def: { array: { len: 4, type: 0 } } },
  { def: { primitive: 'Bool' } },
];
const lookup: TypeLookup = {
  getSiType: (id) => registry.createType('SiType', types[id]) as unknown as SiType,
};

const entryArb = fc.record({
  a: fc.integer({ min: 0, max: 65_535 }),
  b: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  c: fc.uint8Array({ maxLength: 70 }),
  d: fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: null }),
  e: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  f: fc.boolean(),
});

describe('ScaleDecoder', () => {
  it('decodes what @polkadot/types encodes, field by field', () => {
    const decoder = new ScaleDecoder(lookup);
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), (entries) => {
        // Bytes from a Uint8Array would be read as already length-prefixed: hand it hex.
        const input = entries.map((entry) => ({ ...entry, c: u8aToHex(entry.c) }));
        const bytes = registry.createType('Vec<Entry>', input).toU8a();
        const decoded = decoder.decode(6, bytes) as Record<string, unknown>[];
        expect(decoded).toHaveLength(entries.length);
        decoded.forEach((value, i) => {
          const entry = entries[i];
          if (!entry) throw new Error('unreachable');
          expect(value['a']).toBe(entry.a);
          expect(BigInt(value['b'] as number | bigint)).toBe(entry.b);
          expect(Array.from(value['c'] as Uint8Array)).toEqual(Array.from(entry.c));
          expect(value['d']).toBe(entry.d);
          expect(Array.from(value['e'] as Uint8Array)).toEqual(Array.from(entry.e));
          expect(value['f']).toBe(entry.f);
        });
      }),
    );
  });

  it('rejects trailing or missing bytes', () => {
    const decoder = new ScaleDecoder(lookup);
    expect(() => decoder.decode(1, new Uint8Array([1, 0, 0]))).toThrow(/ended at 2 of 3/);
    expect(() => decoder.decode(2, new Uint8Array([1, 0]))).toThrow(RangeError);
  });
});

describe('ScaleInput.compact', () => {
  it('reads every compact width', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        const input = new ScaleInput(compactToU8a(value));
        const read = input.compact();
        expect(BigInt(read)).toBe(value);
        expect(typeof read).toBe(value <= BigInt(Number.MAX_SAFE_INTEGER) ? 'number' : 'bigint');
        expect(input.offset).toBe(input.bytes.length);
      }),
    );
  });
});
