import { describe, expect, it } from 'vitest';
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  chatCompletionResponseSchema,
  MAX_COMPLETION_CHARS,
  type ReferenceModel,
} from './chat';
import { deterministicCompletion, DeterministicReferenceModel } from './deterministic-model';
import { mulberry32 } from './random';
import {
  chatCompletionOf,
  completionAccuracy,
  completionText,
  countTokens,
  DEFAULT_TEXT_GENERATION_MODEL,
  textGenerationTaskType,
} from './text-generation';
import { wordTokens } from './text';

const request: ChatCompletionRequest = {
  model: 'any',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Tell me about harbors.' },
  ],
  max_tokens: 64,
  temperature: 0,
  seed: 7,
};

describe('chat completion schemas', () => {
  it('accepts an OpenAI-style request and drops fields the stack does not use', () => {
    const parsed = chatCompletionRequestSchema.parse({ ...request, top_p: 0.9, stream: false });
    expect(parsed).toEqual(request);
    expect(
      chatCompletionRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
        .success,
    ).toBe(true);
  });

  it('rejects requests without messages, with unknown roles or out-of-range sampling options', () => {
    const invalid: unknown[] = [
      { ...request, messages: [] },
      { ...request, model: '' },
      { ...request, messages: [{ role: 'tool', content: 'x' }] },
      { ...request, messages: [{ role: 'user' }] },
      { ...request, max_tokens: 0 },
      { ...request, max_tokens: 1.5 },
      { ...request, temperature: 3 },
      { ...request, seed: 'seven' },
    ];
    for (const value of invalid) expect(chatCompletionRequestSchema.safeParse(value).success).toBe(false);
  });

  it('accepts a minimal response and rejects one without a text answer', () => {
    const minimal = { choices: [{ message: { role: 'assistant', content: 'hi' } }] };
    expect(chatCompletionResponseSchema.safeParse(minimal).success).toBe(true);
    const invalid: unknown[] = [
      { choices: [] },
      { choices: [{ message: { role: 'assistant', content: null } }] },
      { choices: [{ message: { role: 'user', content: 'hi' } }] },
      { choices: [{ message: { role: 'assistant', content: 'x'.repeat(MAX_COMPLETION_CHARS + 1) } }] },
      { ...minimal, usage: { prompt_tokens: -1, completion_tokens: 0, total_tokens: 0 } },
    ];
    for (const value of invalid) expect(chatCompletionResponseSchema.safeParse(value).success).toBe(false);
  });
});

describe('deterministicCompletion', () => {
  it('gives the same text for the same messages and seed, whatever the model and temperature', () => {
    const text = deterministicCompletion(request);
    expect(deterministicCompletion({ ...request, model: 'other', temperature: 1.2 })).toBe(text);
    expect(deterministicCompletion(structuredClone(request))).toBe(text);
  });

  it('gives another text for another seed or other messages', () => {
    const text = deterministicCompletion(request);
    expect(deterministicCompletion({ ...request, seed: 8 })).not.toBe(text);
    expect(
      deterministicCompletion({
        ...request,
        messages: [{ role: 'user', content: 'Tell me about harbors!' }],
      }),
    ).not.toBe(text);
  });

  it('writes between 12 and 64 words, never more than max_tokens', () => {
    for (let seed = 0; seed < 50; seed++) {
      const words = wordTokens(deterministicCompletion({ ...request, seed, max_tokens: undefined })).length;
      expect(words).toBeGreaterThanOrEqual(12);
      expect(words).toBeLessThanOrEqual(64);
      expect(wordTokens(deterministicCompletion({ ...request, seed, max_tokens: 5 }))).toHaveLength(5);
    }
  });

  it('is what the DeterministicReferenceModel answers', async () => {
    await expect(new DeterministicReferenceModel().complete(request)).resolves.toBe(
      deterministicCompletion(request),
    );
  });
});

describe('text-generation task type', () => {
  it('asks the configured reference model and wraps its answer with usage', async () => {
    const asked: ChatCompletionRequest[] = [];
    const referenceModel: ReferenceModel = {
      complete(received) {
        asked.push(received);
        return Promise.resolve('Harbors shelter ships.');
      },
    };
    const reference = await textGenerationTaskType.reference(request, { referenceModel });
    expect(asked).toEqual([request]);
    expect(chatCompletionResponseSchema.parse(reference)).toEqual(reference);
    expect(completionText(reference)).toBe('Harbors shelter ships.');
    expect(reference.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(reference.model).toBe('any');
  });

  it('scores by ROUGE-L against the reference completion', () => {
    const reference = chatCompletionOf(request, 'police killed the gunman');
    const answer = (content: string) => chatCompletionOf(request, content);
    expect(textGenerationTaskType.accuracy(answer('Police killed the gunman.'), reference, request)).toBe(1);
    expect(textGenerationTaskType.accuracy(answer('police kill the gunman'), reference, request)).toBe(0.75);
    expect(textGenerationTaskType.accuracy(answer(''), reference, request)).toBe(0);
    expect(completionAccuracy('the gunman kill police', 'police killed the gunman')).toBe(0.5);
  });

  it('generates the same reproducible challenges for the same seed', () => {
    const generate = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 50 }, () => textGenerationTaskType.generate(random));
    };
    const challenges = generate(21);
    expect(generate(21)).toEqual(challenges);
    expect(generate(22)).not.toEqual(challenges);
    for (const challenge of challenges) {
      expect(chatCompletionRequestSchema.parse(challenge)).toEqual(challenge);
      expect(challenge.model).toBe(DEFAULT_TEXT_GENERATION_MODEL);
      expect(challenge.temperature).toBe(0);
      expect(challenge.seed).toEqual(expect.any(Number));
      expect(challenge.messages.at(-1)?.role).toBe('user');
    }
  });

  it('counts tokens as word tokens', () => {
    expect(countTokens("It's 3 o'clock.")).toBe(5);
  });
});
