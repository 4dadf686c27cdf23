import { describe, expect, it } from 'vitest';
import { lcsLength, lengthPenalty, rougeL, rougeLTokens, splitSentences, wordTokens } from './text';

describe('wordTokens', () => {
  it('lower-cases and splits on anything that is not a letter or digit', () => {
    expect(wordTokens("The Cat's 2 hats, (re)made!")).toEqual(['the', 'cat', 's', '2', 'hats', 're', 'made']);
    expect(wordTokens('Ærø über ΣΟΦΙΑ')).toEqual(['ærø', 'über', 'σοφια']);
    expect(wordTokens(' ... ')).toEqual([]);
  });
});

describe('splitSentences', () => {
  it('splits after . ! ? and keeps the punctuation', () => {
    expect(splitSentences('One two.  Three?! Four\nfive. Six')).toEqual([
      'One two.',
      'Three?!',
      'Four five.',
      'Six',
    ]);
  });

  it('drops fragments without a word', () => {
    expect(splitSentences('... Hi. !')).toEqual(['Hi.']);
  });
});

describe('lcsLength', () => {
  it('finds the longest common subsequence of tokens', () => {
    expect(lcsLength(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a'])).toBe(4);
    expect(lcsLength(['x'], [])).toBe(0);
    expect(lcsLength(['a', 'b'], ['b', 'a'])).toBe(1);
  });
});

describe('ROUGE-L F1', () => {
  // Lin (2004), section 3: reference "police killed the gunman".
  it('scores the examples of the ROUGE paper', () => {
    // "police kill the gunman": LCS 3 ("police the gunman"), F1 = 2·3 / (4 + 4)
    expect(rougeL('police kill the gunman', 'police killed the gunman')).toBe(0.75);
    // "the gunman kill police": LCS 2 ("the gunman"), F1 = 2·2 / (4 + 4)
    expect(rougeL('the gunman kill police', 'police killed the gunman')).toBe(0.5);
  });

  it('scores a dropped word', () => {
    // LCS 5 of 5 and 6 tokens: F1 = 10 / 11
    expect(rougeL('The cat on the mat.', 'the cat sat on the mat')).toBeCloseTo(10 / 11, 12);
  });

  it('ignores case and punctuation, and handles empty texts', () => {
    expect(rougeL('HELLO, World!', 'hello world')).toBe(1);
    expect(rougeLTokens([], [])).toBe(1);
    expect(rougeL('', 'something')).toBe(0);
    expect(rougeL('something', '')).toBe(0);
  });
});

describe('lengthPenalty', () => {
  it('is 1 between half and one and a half times the reference length', () => {
    expect(lengthPenalty(5, 10)).toBe(1);
    expect(lengthPenalty(10, 10)).toBe(1);
    expect(lengthPenalty(15, 10)).toBe(1);
  });

  it('falls linearly to 0 at an empty candidate', () => {
    expect(lengthPenalty(0, 10)).toBe(0);
    expect(lengthPenalty(2.5, 10)).toBe(0.5);
    expect(lengthPenalty(4, 10)).toBeCloseTo(0.8, 12);
  });

  it('falls linearly to 0 at three times the reference length', () => {
    expect(lengthPenalty(22.5, 10)).toBe(0.5);
    expect(lengthPenalty(29, 10)).toBeCloseTo(1 / 15, 12);
    expect(lengthPenalty(30, 10)).toBe(0);
    expect(lengthPenalty(1_000, 10)).toBe(0);
  });

  it('accepts only an empty candidate for an empty reference', () => {
    expect(lengthPenalty(0, 0)).toBe(1);
    expect(lengthPenalty(1, 0)).toBe(0);
  });
});
