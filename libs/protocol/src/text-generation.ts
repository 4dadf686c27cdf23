import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  type ChatCompletionResponse,
  chatCompletionResponseSchema,
  type ChatMessage,
} from './chat';
import { fnv1a32, type RandomSource, randomInt, randomPick, randomUint32 } from './random';
import { TaskTypeName } from './names';
import type { TaskType } from './task-type';
import { rougeL, wordTokens } from './text';
import { adjectives, nouns, places, verbs } from './vocabulary';

/** The model name synthetic text-generation challenges ask for; operators may replace it before sending. */
export const DEFAULT_TEXT_GENERATION_MODEL = 'vstack-reference';

/** Token count the stack reports in `usage`: word tokens, an approximation that needs no tokenizer. */
export function countTokens(text: string): number {
  return wordTokens(text).length;
}

/** The text of a completion: the first choice's message content. */
export function completionText(response: ChatCompletionResponse): string {
  return response.choices[0]?.message.content ?? '';
}

/** Wraps a reference text as a chat completion response, with `usage` counted by `countTokens`. */
export function chatCompletionOf(request: ChatCompletionRequest, content: string): ChatCompletionResponse {
  const promptTokens = request.messages.reduce((sum, message) => sum + countTokens(message.content), 0);
  const completionTokens = countTokens(content);
  return {
    id: `chatcmpl-${fnv1a32(JSON.stringify([request, content])).toString(16)}`,
    object: 'chat.completion',
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/**
 * Accuracy of a completion: ROUGE-L F1 over lower-cased word tokens against the reference completion. It
 * rewards the same words in the same order, so references should be sampled reproducibly (temperature 0, a
 * seed), which is how synthetic challenges are generated.
 */
export function completionAccuracy(completion: string, reference: string): number {
  return rougeL(completion, reference);
}

const prompts: readonly string[] = [
  'Write a short story about a {adjective} {noun} in {place}.',
  'Describe how a {noun} {verb} the {noun2}.',
  'Explain to a child why the {noun} matters to {place}.',
  'Give three facts about the {adjective} {noun}.',
  'Write a letter from a {noun} to a {noun2}.',
];

function promptFrom(random: RandomSource): string {
  return randomPick(random, prompts).replace(/\{(\w+)\}/g, (_match, slot: string) => {
    switch (slot) {
      case 'noun':
      case 'noun2':
        return randomPick(random, nouns);
      case 'adjective':
        return randomPick(random, adjectives);
      case 'verb':
        return randomPick(random, verbs);
      case 'place':
        return randomPick(random, places);
      default:
        return slot;
    }
  });
}

/** An OpenAI-style chat completion, scored by ROUGE-L against the operator's reference model. */
export const textGenerationTaskType: TaskType<
  ChatCompletionRequest,
  ChatCompletionResponse,
  TaskTypeName.TextGeneration
> = {
  name: TaskTypeName.TextGeneration,
  description: 'An OpenAI-style chat completion, compared with the reference model.',
  requestSchema: chatCompletionRequestSchema,
  responseSchema: chatCompletionResponseSchema,
  timeoutMs: 30_000,
  latencyFloorMs: 1_000,
  priceCredits: 10,
  generate(random) {
    const messages: ChatMessage[] = [];
    if (random() < 0.5) messages.push({ role: 'system', content: 'You are a helpful assistant.' });
    messages.push({ role: 'user', content: promptFrom(random) });
    return {
      model: DEFAULT_TEXT_GENERATION_MODEL,
      messages,
      max_tokens: randomInt(random, 16, 128),
      temperature: 0,
      seed: randomUint32(random),
    };
  },
  async reference(request, context) {
    return chatCompletionOf(request, await context.referenceModel.complete(request));
  },
  accuracy(response, reference) {
    return completionAccuracy(completionText(response), completionText(reference));
  },
};
