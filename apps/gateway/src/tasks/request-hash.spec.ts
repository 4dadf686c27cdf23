import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash, unstorableStringPath } from './request-hash';

describe('requestHash', () => {
  it('is the same for the same request whatever the order of its keys', () => {
    expect(requestHash({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      requestHash({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
    expect(requestHash({ a: [1, 2] })).not.toBe(requestHash({ a: [2, 1] }));
    expect(canonicalJson({ b: undefined, a: null })).toBe('{"a":null}');
  });

  it('gives JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('unstorableStringPath', () => {
  it('finds the NUL characters and lone surrogates PostgreSQL refuses, in values and keys', () => {
    expect(unstorableStringPath({ text: 'fine 😀', list: ['ok'] }, 'input')).toBeUndefined();
    expect(unstorableStringPath({ text: 'a\u0000b' }, 'input')).toBe('input.text');
    expect(unstorableStringPath({ list: ['ok', '\ud800'] }, 'input')).toBe('input.list.1');
    expect(unstorableStringPath({ ['k\u0000']: 1 }, 'input')).toBe('input.(key)');
    expect(unstorableStringPath('\udc00')).toBe('(body)');
  });
});
