import { z } from 'zod';
import { TaskTypeName } from './names';
import { type RandomSource, randomInt, randomPick } from './random';
import type { TaskType } from './task-type';
import { lengthPenalty, rougeLTokens, splitSentences, wordTokens } from './text';
import { adjectives, adverbs, nouns, places, stopwords, timeframes, verbs } from './vocabulary';

/** Longest text a summarization request may carry, in characters. */
export const MAX_SUMMARIZATION_TEXT_CHARS = 50_000;
/** Longest summary a response may carry, in characters. */
export const MAX_SUMMARY_CHARS = 10_000;
/** Summary length, in sentences, when the request does not say. */
export const DEFAULT_SUMMARY_SENTENCES = 3;

export const summarizationRequestSchema = z.object({
  text: z
    .string()
    .max(MAX_SUMMARIZATION_TEXT_CHARS)
    .refine((text) => wordTokens(text).length > 0, 'must contain at least one word'),
  /** How many sentences the summary should have (default 3). */
  sentences: z.int().min(1).max(10).optional(),
});

export const summarizationResponseSchema = z.object({
  summary: z.string().max(MAX_SUMMARY_CHARS),
});

export type SummarizationRequest = z.output<typeof summarizationRequestSchema>;
export type SummarizationResponse = z.output<typeof summarizationResponseSchema>;

/**
 * The validator's extractive summary: each sentence is scored by the mean frequency of its content words
 * (stopwords excluded, frequencies divided by the largest), the top `count` sentences are kept (ties go to the
 * earlier sentence) and joined in their original order. Deterministic.
 */
export function extractiveSummary(text: string, count = DEFAULT_SUMMARY_SENTENCES): string {
  const sentences = splitSentences(text);
  if (sentences.length <= count) return sentences.join(' ');
  const contentWords = sentences.map((sentence) =>
    wordTokens(sentence).filter((token) => !stopwords.has(token)),
  );
  const frequency = new Map<string, number>();
  for (const token of contentWords.flat()) frequency.set(token, (frequency.get(token) ?? 0) + 1);
  const highest = Math.max(1, ...frequency.values());
  const ranked = contentWords
    .map((tokens, index) => ({
      index,
      score:
        tokens.length === 0
          ? 0
          : tokens.reduce((sum, token) => sum + (frequency.get(token) ?? 0), 0) / (highest * tokens.length),
    }))
    .sort((x, y) => y.score - x.score || x.index - y.index);
  const kept = ranked
    .slice(0, count)
    .map(({ index }) => index)
    .sort((x, y) => x - y);
  return kept.map((index) => sentences[index] ?? '').join(' ');
}

/**
 * Accuracy of a summary: ROUGE-L F1 against the reference summary (lower-cased word tokens) times the length
 * penalty (1 within [0.5×, 1.5×] of the reference's token count, falling linearly to 0 at 0× and at 3×).
 */
export function summaryAccuracy(summary: string, reference: string): number {
  const candidate = wordTokens(summary);
  const expected = wordTokens(reference);
  const penalty = lengthPenalty(candidate.length, expected.length);
  return penalty === 0 ? 0 : penalty * rougeLTokens(candidate, expected);
}

const templates: readonly string[] = [
  'The {adjective} {topic} {verb} the {noun} near {place}.',
  'People in {place} {adverb} {verb} the {topic} {timeframe}.',
  'A {adjective} {noun} {verb} the {topic} {timeframe}.',
  'The {topic} and the {noun} were {adverb} {verb} by a {adjective} {noun}.',
  '{Timeframe}, the {noun} {verb} the {adjective} {topic}.',
  'Nobody {verb} the {noun} in {place} as {adverb} as the {topic}.',
  'The {noun} of {place} {verb} the {topic} {adverb}.',
  'Some say the {adjective} {noun} {verb} the {topic} {timeframe}.',
];

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function sentenceFrom(random: RandomSource, topics: readonly string[]): string {
  const template = randomPick(random, templates);
  const filled = template.replace(/\{(\w+)\}/g, (_match, slot: string) => {
    switch (slot) {
      case 'topic':
        return randomPick(random, topics);
      case 'noun':
        return randomPick(random, nouns);
      case 'adjective':
        return randomPick(random, adjectives);
      case 'verb':
        return randomPick(random, verbs);
      case 'adverb':
        return randomPick(random, adverbs);
      case 'place':
        return randomPick(random, places);
      case 'timeframe':
        return randomPick(random, timeframes);
      case 'Timeframe':
        return capitalise(randomPick(random, timeframes));
      default:
        return slot;
    }
  });
  return capitalise(filled);
}

/** A synthetic document: 2–4 paragraphs of 3–6 templated sentences around 2–3 recurring topic nouns. */
export function generateDocument(random: RandomSource): string {
  const topics: string[] = [];
  const topicCount = randomInt(random, 2, 3);
  while (topics.length < topicCount) {
    const topic = randomPick(random, nouns);
    if (!topics.includes(topic)) topics.push(topic);
  }
  const paragraphs = Array.from({ length: randomInt(random, 2, 4) }, () =>
    Array.from({ length: randomInt(random, 3, 6) }, () => sentenceFrom(random, topics)).join(' '),
  );
  return paragraphs.join('\n\n');
}

/** Summarises a text; scored by ROUGE-L against the validator's extractive summary, with a length penalty. */
export const summarizationTaskType: TaskType<
  SummarizationRequest,
  SummarizationResponse,
  TaskTypeName.Summarization
> = {
  name: TaskTypeName.Summarization,
  description: 'Summarise a text in about the requested number of sentences.',
  requestSchema: summarizationRequestSchema,
  responseSchema: summarizationResponseSchema,
  timeoutMs: 10_000,
  latencyFloorMs: 500,
  priceCredits: 5,
  generate(random) {
    return { text: generateDocument(random), sentences: randomInt(random, 2, 4) };
  },
  reference(request) {
    return Promise.resolve({
      summary: extractiveSummary(request.text, request.sentences ?? DEFAULT_SUMMARY_SENTENCES),
    });
  },
  accuracy(response, reference) {
    return summaryAccuracy(response.summary, reference.summary);
  },
};
