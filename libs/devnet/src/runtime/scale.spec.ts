import { compactToU8a, u8aToHex } from '@polkadot/util';
import { describe, expect, it } from 'vitest';
import { ScaleReader, ScaleWriter } from './scale';

describe('SCALE primitives', () => {
  it.each([0, 1, 63, 64, 16_383, 16_384, 1_073_741_823, 1_073_741_824, 2 ** 53 - 1])(
    'encodes compact %i like @polkadot/util',
    (value) => {
      expect(u8aToHex(new ScaleWriter().compact(value).finish())).toBe(u8aToHex(compactToU8a(value)));
    },
  );

  it('encodes compact u64 values beyond 2^53 like @polkadot/util', () => {
    const value = 18_446_744_073_709_551_615n;
    expect(u8aToHex(new ScaleWriter().compact(value).finish())).toBe(u8aToHex(compactToU8a(value)));
  });

  it('reads back what it writes', () => {
    const bytes = new ScaleWriter()
      .u16(513)
      .u64(2n ** 40n)
      .bool(true)
      .compact(300)
      .finish();
    const reader = new ScaleReader(bytes);
    expect([reader.u16(), reader.u64(), reader.bool(), reader.compact()]).toEqual([
      513,
      2n ** 40n,
      true,
      300,
    ]);
    expect(() => reader.u8()).toThrow('too short');
  });

  it('reads vectors', () => {
    const bytes = new ScaleWriter().compact(3).u16(1).u16(2).u16(65535).finish();
    expect(new ScaleReader(bytes).vec((reader) => reader.u16())).toEqual([1, 2, 65535]);
  });
});
