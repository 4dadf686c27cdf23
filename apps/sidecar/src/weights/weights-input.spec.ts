import { describe, expect, it } from 'vitest';
import { SidecarError, SidecarErrorCode } from '../errors';
import {
  checkSomethingToSet,
  checkSubnetSize,
  MAX_WEIGHTS_ENTRIES,
  parseHistoryLimit,
  parseNetuid,
  parseWeightsBody,
  splitKnownHotkeys,
} from './weights-input';

function refusal(run: () => unknown): SidecarError {
  try {
    run();
  } catch (error) {
    if (error instanceof SidecarError) return error;
    throw error;
  }
  throw new Error('expected a SidecarError');
}

describe('parseWeightsBody', () => {
  it('accepts weights by hotkey', () => {
    expect(parseWeightsBody({ weights: { '5Dave': 0.8, '5Eve': 0 } })).toEqual({ '5Dave': 0.8, '5Eve': 0 });
  });

  it.each([
    ['a body that is not an object', [1, 2], 'the body must be a JSON object'],
    ['no weights', {}, 'the body has no "weights" object'],
    [
      'weights that are not an object',
      { weights: [0.5] },
      '"weights" must be an object of hotkey to weight, not an array',
    ],
    ['null weights', { weights: null }, 'not null'],
    ['empty weights', { weights: {} }, '"weights" must name at least one hotkey'],
    [
      'a weight that is a string',
      { weights: { '5Dave': 'NaN' } },
      'the weight of 5Dave is not a number ("NaN")',
    ],
    ['a negative weight', { weights: { '5Dave': -0.5 } }, 'the weight of 5Dave is negative (-0.5)'],
    ['an empty hotkey', { weights: { ' ': 1 } }, '"weights" has an empty hotkey'],
  ])('refuses %s with invalid_weights naming the problem', (_case, body, message) => {
    const error = refusal(() => parseWeightsBody(body));
    expect(error.code).toBe(SidecarErrorCode.InvalidWeights);
    expect(error.httpStatus).toBe(400);
    expect(error.message).toContain(message);
  });

  it('refuses NaN and infinite weights', () => {
    expect(refusal(() => parseWeightsBody({ weights: { a: Number.NaN } })).message).toBe(
      'the weight of a is not a finite number',
    );
    expect(refusal(() => parseWeightsBody({ weights: { a: Number.POSITIVE_INFINITY } })).code).toBe(
      SidecarErrorCode.InvalidWeights,
    );
  });

  it(`refuses more than ${MAX_WEIGHTS_ENTRIES} entries`, () => {
    const weights = Object.fromEntries(
      Array.from({ length: MAX_WEIGHTS_ENTRIES + 1 }, (_, i) => [`k${i}`, 1]),
    );
    expect(refusal(() => parseWeightsBody({ weights })).message).toBe(
      `"weights" has ${MAX_WEIGHTS_ENTRIES + 1} entries; at most ${MAX_WEIGHTS_ENTRIES} are accepted`,
    );
  });
});

describe('subnet checks', () => {
  it('refuses more weights than the subnet has neurons', () => {
    expect(() => {
      checkSubnetSize(8, 1, 8);
    }).not.toThrow();
    expect(
      refusal(() => {
        checkSubnetSize(9, 1, 8);
      }).message,
    ).toBe('"weights" has 9 entries but subnet 1 has only 8 neurons');
  });

  it('splits known hotkeys (by uid) from unknown ones', () => {
    const uids = new Map([
      ['5Dave', 3],
      ['5Eve', 4],
    ]);
    expect(splitKnownHotkeys({ '5Dave': 1, '5Zed': 2, '5Eve': 0 }, (hotkey) => uids.get(hotkey))).toEqual({
      known: { '5Dave': 1, '5Eve': 0 },
      byUid: { '3': 1, '4': 0 },
      unknown: ['5Zed'],
    });
  });

  it('refuses weights that leave nothing to set', () => {
    expect(
      refusal(() => {
        checkSomethingToSet({}, 2, 1);
      }).message,
    ).toBe('none of the 2 hotkeys is registered on subnet 1: there is nothing to set');
    expect(
      refusal(() => {
        checkSomethingToSet({ '5Dave': 0 }, 0, 1);
      }).message,
    ).toBe('every weight of a registered hotkey is zero: there is nothing to set');
  });
});

describe('path and query parameters', () => {
  it('reads a netuid from 0 to 65535', () => {
    expect(parseNetuid('0')).toBe(0);
    expect(parseNetuid('65535')).toBe(65_535);
    for (const bad of ['65536', '-1', '1.5', 'one', '']) {
      expect(refusal(() => parseNetuid(bad)).code).toBe(SidecarErrorCode.InvalidRequest);
    }
  });

  it('reads a history limit from 1 to 1000, 100 by default', () => {
    expect(parseHistoryLimit(undefined)).toBe(100);
    expect(parseHistoryLimit('5')).toBe(5);
    for (const bad of ['0', '1001', 'x']) {
      expect(refusal(() => parseHistoryLimit(bad)).code).toBe(SidecarErrorCode.InvalidRequest);
    }
  });
});
