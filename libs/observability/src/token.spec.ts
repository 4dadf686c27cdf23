import { describe, expect, it } from 'vitest';
import { checkBearer, digestsEqual, safeEqual, secretDigest } from './token';

describe('safeEqual', () => {
  it('is true only for the same secret', () => {
    expect(safeEqual('metrics-token-0123456789', 'metrics-token-0123456789')).toBe(true);
    expect(safeEqual('metrics-token-0123456789', 'metrics-token-0123456788')).toBe(false);
    expect(safeEqual('metrics-token-0123456789', 'Metrics-token-0123456789')).toBe(false);
  });

  it('compares secrets of different lengths, empty ones and any characters without throwing', () => {
    expect(safeEqual('short', 'a much longer secret than the other')).toBe(false);
    expect(safeEqual('secret', 'secret\0')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('', 'x')).toBe(false);
    expect(safeEqual('clé-✓-𝄞', 'clé-✓-𝄞')).toBe(true);
    expect(safeEqual('clé-✓-𝄞', 'cle-✓-𝄞')).toBe(false);
  });

  it('compares digests of 32 bytes, and refuses digests of other lengths', () => {
    expect(secretDigest('a')).toHaveLength(32);
    expect(secretDigest('a'.repeat(10_000))).toHaveLength(32);
    expect(digestsEqual(secretDigest('a'), secretDigest('a'))).toBe(true);
    expect(digestsEqual(secretDigest('a'), secretDigest('b'))).toBe(false);
    expect(digestsEqual(secretDigest('a'), Buffer.alloc(16))).toBe(false);
  });
});

describe('checkBearer with secrets that nearly match', () => {
  it('refuses a prefix, an extension and a different case of the token', () => {
    const token = 'secret-token-1234';
    expect(checkBearer(`Bearer ${token.slice(0, -1)}`, token)).toBe('invalid');
    expect(checkBearer(`Bearer ${token}5`, token)).toBe('invalid');
    expect(checkBearer(`Bearer ${token.toUpperCase()}`, token)).toBe('invalid');
    expect(checkBearer('Bearer', token)).toBe('invalid');
    expect(checkBearer('', token)).toBe('missing');
  });
});
