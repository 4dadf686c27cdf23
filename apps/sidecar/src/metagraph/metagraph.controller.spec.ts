import { describe, expect, it } from 'vitest';
import { SidecarErrorCode } from '../errors';
import { parseBlock, parseNetuid } from './metagraph.controller';

describe('path segments', () => {
  it('takes netuids from 0 to 65535', () => {
    expect(parseNetuid('0')).toBe(0);
    expect(parseNetuid('65535')).toBe(65_535);
    for (const text of ['65536', '-1', '1.0', 'one', '']) {
      expect(() => parseNetuid(text)).toThrow(
        expect.objectContaining({ code: SidecarErrorCode.InvalidRequest }),
      );
    }
  });

  it('takes latest, recent or a block number', () => {
    expect(parseBlock('latest')).toBe('latest');
    expect(parseBlock('recent')).toBe('recent');
    expect(parseBlock('123')).toBe(123);
    for (const text of ['Latest', '-3', '0x10', '4294967296', '1e3']) {
      expect(() => parseBlock(text)).toThrow(
        expect.objectContaining({ code: SidecarErrorCode.InvalidRequest }),
      );
    }
  });
});
