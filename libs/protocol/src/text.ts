// Text measures shared by the summarization and text-generation task types. Everything here is deterministic
// and locale-independent, so a miner can reproduce the validator's numbers exactly.

const wordPattern = /[\p{L}\p{N}]+/gu;

/** Lower-cased word tokens: maximal runs of letters and digits; punctuation and whitespace separate them. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(wordPattern) ?? [];
}

/** Sentences of a text: runs ending in `.`, `!` or `?` (or the end of the text), trimmed, each with a word. */
export function splitSentences(text: string): string[] {
  const normalised = text.replace(/\s+/g, ' ');
  const sentences = normalised.match(/[^.!?]+(?:[.!?]+|$)/g) ?? [];
  return sentences.map((sentence) => sentence.trim()).filter((sentence) => wordTokens(sentence).length > 0);
}

/** Length of the longest common subsequence of two token lists, in O(n·m) time and O(min(n, m)) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  if (short.length === 0) return 0;
  // Compare small integers instead of strings in the inner loop.
  const ids = new Map<string, number>();
  const idOf = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = ids.size;
      ids.set(token, id);
    }
    return id;
  };
  const shortIds = Int32Array.from(short, idOf);
  let previous = new Uint32Array(short.length + 1);
  let current = new Uint32Array(short.length + 1);
  for (const token of long) {
    const id = idOf(token);
    for (let j = 1; j <= short.length; j++) {
      current[j] =
        shortIds[j - 1] === id ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[short.length] ?? 0;
}

/**
 * ROUGE-L F1 of two token lists: with L the LCS length, precision L/|candidate| and recall L/|reference|, so
 * F1 = 2L / (|candidate| + |reference|). Two empty lists score 1; one empty list scores 0.
 */
export function rougeLTokens(candidate: readonly string[], reference: readonly string[]): number {
  if (candidate.length === 0 && reference.length === 0) return 1;
  if (candidate.length === 0 || reference.length === 0) return 0;
  return (2 * lcsLength(candidate, reference)) / (candidate.length + reference.length);
}

/** ROUGE-L F1 over lower-cased word tokens of two texts (see `rougeLTokens`). */
export function rougeL(candidate: string, reference: string): number {
  return rougeLTokens(wordTokens(candidate), wordTokens(reference));
}

/**
 * Length penalty of a candidate against a reference, by the ratio r = candidate tokens / reference tokens:
 * 1 for r in [0.5, 1.5]; below that it falls linearly to 0 at r = 0 (2r); above it falls linearly to 0 at
 * r = 3 ((3 − r) / 1.5), and stays 0 beyond. An empty reference accepts only an empty candidate.
 */
export function lengthPenalty(candidateTokens: number, referenceTokens: number): number {
  if (referenceTokens <= 0) return candidateTokens <= 0 ? 1 : 0;
  const ratio = Math.max(0, candidateTokens) / referenceTokens;
  if (ratio < 0.5) return 2 * ratio;
  if (ratio <= 1.5) return 1;
  if (ratio < 3) return (3 - ratio) / 1.5;
  return 0;
}
