import type { ChatCompletionRequest, ReferenceModel } from './chat';
import { fnv1a32, mulberry32, randomInt, randomPick } from './random';
import { completionWords } from './vocabulary';

/** Completion length, in words, when a request sets no `max_tokens`. */
export const DEFAULT_DETERMINISTIC_MAX_TOKENS = 256;

/**
 * The deterministic reference completion: a PRNG seeded with FNV-1a of the messages (role and content) and the
 * request's seed writes 12–64 words (at most `max_tokens`, one word per token) from an embedded word list, in
 * sentences of 4–12 words. The model name and temperature do not matter. Reproducible anywhere.
 */
export function deterministicCompletion(request: ChatCompletionRequest): string {
  const key = JSON.stringify({
    messages: request.messages.map(({ role, content }) => [role, content]),
    seed: request.seed ?? 0,
  });
  const random = mulberry32(fnv1a32(key));
  const length = Math.min(request.max_tokens ?? DEFAULT_DETERMINISTIC_MAX_TOKENS, randomInt(random, 12, 64));
  const sentences: string[] = [];
  let written = 0;
  while (written < length) {
    const size = Math.min(length - written, randomInt(random, 4, 12));
    const sentence = Array.from({ length: size }, () => randomPick(random, completionWords)).join(' ');
    sentences.push(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`);
    written += size;
  }
  return sentences.join(' ');
}

/** A reference model for tests and local runs: answers with `deterministicCompletion`, without I/O. */
export class DeterministicReferenceModel implements ReferenceModel {
  complete(request: ChatCompletionRequest): Promise<string> {
    return Promise.resolve(deterministicCompletion(request));
  }
}
