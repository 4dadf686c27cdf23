import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAxonIp, encodeAxonIp } from './axon';

describe('decodeAxonIp', () => {
  it('decodes IPv4 the way bittensor int_to_ip does', () => {
    expect(decodeAxonIp(0x0a000001n, 4)).toBe('10.0.0.1');
    expect(decodeAxonIp(3_232_235_777n, 4)).toBe('192.168.1.1');
    expect(decodeAxonIp(0xffffffffn, 4)).toBe('255.255.255.255');
    expect(decodeAxonIp(0n, 0)).toBe('0.0.0.0');
  });

  it('decodes IPv6 in RFC 5952 form', () => {
    expect(decodeAxonIp(1n, 6)).toBe('::1');
    expect(decodeAxonIp(0x20010db8000000000000000000000001n, 6)).toBe('2001:db8::1');
    expect(decodeAxonIp(0x20010db8000000010000000000000001n, 6)).toBe('2001:db8:0:1::1');
    expect(decodeAxonIp(0x20010db8000100010001000100010001n, 6)).toBe('2001:db8:1:1:1:1:1:1');
    // The first of two equally long zero runs is the one compressed.
    expect(decodeAxonIp(0x20010000000000010000000000010001n, 6)).toBe('2001::1:0:0:1:1');
    expect(decodeAxonIp(0x20010000000000010000000000000001n, 6)).toBe('2001:0:0:1::1');
  });

  it('treats a value above 32 bits as IPv6 whatever the type says', () => {
    expect(decodeAxonIp(1n << 32n, 4)).toBe('::1:0:0');
  });

  it('rejects values outside u128', () => {
    expect(() => decodeAxonIp(-1n)).toThrow(RangeError);
    expect(() => decodeAxonIp(1n << 128n)).toThrow(RangeError);
  });

  it('formats IPv6 exactly as the WHATWG URL parser normalises it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 0, 0, 1, 0xdb8, 0xffff), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const value = groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
          const text = groups.map((group) => group.toString(16)).join(':');
          expect(`[${decodeAxonIp(value, 6)}]`).toBe(new URL(`http://[${text}]/`).hostname);
        },
      ),
    );
  });
});

describe('encodeAxonIp', () => {
  it('encodes IPv4 and IPv6 with their type', () => {
    expect(encodeAxonIp('10.0.0.1')).toEqual({ ip: 0x0a000001n, ipType: 4 });
    expect(encodeAxonIp('2001:db8::1')).toEqual({ ip: 0x20010db8000000000000000000000001n, ipType: 6 });
    expect(encodeAxonIp('::ffff:1.2.3.4')).toEqual({ ip: 0xffff01020304n, ipType: 6 });
    expect(encodeAxonIp('::')).toEqual({ ip: 0n, ipType: 6 });
  });

  it('rejects text that is not an address', () => {
    expect(() => encodeAxonIp('example.com')).toThrow(RangeError);
    expect(() => encodeAxonIp('256.1.1.1')).toThrow(RangeError);
  });

  it('round-trips every IPv4 and IPv6 value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), (value) => {
        expect(encodeAxonIp(decodeAxonIp(value, 4))).toEqual({ ip: value, ipType: 4 });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        expect(encodeAxonIp(decodeAxonIp(value, 6))).toEqual({ ip: value, ipType: 6 });
      }),
    );
  });
});
