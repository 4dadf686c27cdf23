import { describe, expect, it } from 'vitest';
import { DeterministicReferenceModel } from './deterministic-model';
import { mulberry32 } from './random';
import {
  extractiveSummary,
  generateDocument,
  MAX_SUMMARY_CHARS,
  summarizationRequestSchema,
  summarizationResponseSchema,
  summarizationTaskType,
  summaryAccuracy,
} from './summarization';
import { splitSentences } from './text';

const context = { referenceModel: new DeterministicReferenceModel() };
const text = 'Cats chase mice. Dogs chase cats and cats run. The weather is nice today. Mice fear cats.';

describe('summarization schemas', () => {
  it('accepts a text with an optional sentence count', () => {
    expect(summarizationRequestSchema.safeParse({ text }).success).toBe(true);
    expect(summarizationRequestSchema.safeParse({ text, sentences: 10 }).success).toBe(true);
  });

  it('rejects a text without words, a bad sentence count, or an oversized summary', () => {
    expect(summarizationRequestSchema.safeParse({ text: ' ... ' }).success).toBe(false);
    expect(summarizationRequestSchema.safeParse({ text, sentences: 0 }).success).toBe(false);
    expect(summarizationRequestSchema.safeParse({ text, sentences: 2.5 }).success).toBe(false);
    expect(summarizationResponseSchema.safeParse({ summary: 'ok' }).success).toBe(true);
    expect(
      summarizationResponseSchema.safeParse({ summary: 'x'.repeat(MAX_SUMMARY_CHARS + 1) }).success,
    ).toBe(false);
    expect(summarizationResponseSchema.safeParse({ text: 'ok' }).success).toBe(false);
  });
});

describe('extractiveSummary', () => {
  // Content-word frequencies: cats 4, chase 2, mice 2, every other word 1 (highest 4). Mean per sentence:
  // 8/12, 12/20, 3/12 and 7/12.
  it('keeps the sentences with the most frequent content words, in their original order', () => {
    expect(extractiveSummary(text, 2)).toBe('Cats chase mice. Dogs chase cats and cats run.');
    expect(extractiveSummary(text, 3)).toBe('Cats chase mice. Dogs chase cats and cats run. Mice fear cats.');
  });

  it('breaks ties in favour of the earlier sentence', () => {
    expect(extractiveSummary('Red apples. Green apples. Blue sky.', 1)).toBe('Red apples.');
  });

  it('returns the whole text, normalised, when it has no more sentences than asked for', () => {
    expect(extractiveSummary('Short one.\n\nAnd  two', 3)).toBe('Short one. And two');
  });
});

describe('summaryAccuracy', () => {
  const reference = 'Cats chase mice. Dogs chase cats and cats run.'; // 9 tokens

  it('is 1 for the reference itself, whatever the case and punctuation', () => {
    expect(summaryAccuracy('cats chase mice; dogs chase cats and cats run', reference)).toBe(1);
  });

  it('multiplies ROUGE-L by the length penalty', () => {
    // 3 of 9 tokens: ROUGE-L 2·3/12 = 0.5, ratio 1/3 so penalty 2/3.
    expect(summaryAccuracy('Cats chase mice.', reference)).toBeCloseTo(1 / 3, 12);
    // The whole text (17 tokens, ratio 17/9 > 1.5): ROUGE-L 2·9/26, penalty (3 − 17/9)/1.5.
    expect(summaryAccuracy(text, reference)).toBeCloseTo((18 / 26) * ((3 - 17 / 9) / 1.5), 12);
    expect(summaryAccuracy(`${text} ${text}`, reference)).toBe(0);
    expect(summaryAccuracy('', reference)).toBe(0);
  });
});

describe('summarization task type', () => {
  it('uses the extractive summary as its reference and scores it 1', async () => {
    const request = { text, sentences: 2 };
    const reference = await summarizationTaskType.reference(request, context);
    expect(reference).toEqual({ summary: 'Cats chase mice. Dogs chase cats and cats run.' });
    expect(summarizationTaskType.accuracy(reference, reference, request)).toBe(1);
    expect(
      summarizationTaskType.accuracy({ summary: 'The weather is nice today.' }, reference, request),
    ).toBe(0);
  });

  it('defaults to three sentences', async () => {
    const reference = await summarizationTaskType.reference({ text }, context);
    expect(splitSentences(reference.summary)).toHaveLength(3);
  });

  it('generates the same valid documents for the same seed', () => {
    const generate = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 50 }, () => summarizationTaskType.generate(random));
    };
    const challenges = generate(5);
    expect(generate(5)).toEqual(challenges);
    expect(generate(6)).not.toEqual(challenges);
    for (const challenge of challenges) {
      expect(summarizationRequestSchema.parse(challenge)).toEqual(challenge);
      const paragraphs = challenge.text.split('\n\n');
      expect(paragraphs.length).toBeGreaterThanOrEqual(2);
      expect(paragraphs.length).toBeLessThanOrEqual(4);
      expect(splitSentences(challenge.text).length).toBeGreaterThan(challenge.sentences ?? 3);
    }
  });

  it('writes documents whose topic words recur', () => {
    const document = generateDocument(mulberry32(9));
    const counts = new Map<string, number>();
    for (const word of document.toLowerCase().match(/[a-z]+/g) ?? []) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const topicHits = [...counts].filter(([word]) => word !== 'the').map(([, count]) => count);
    expect(Math.max(...topicHits)).toBeGreaterThanOrEqual(4);
  });
});
