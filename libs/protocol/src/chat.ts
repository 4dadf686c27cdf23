import { z } from 'zod';

/** Longest message content a request may carry, in characters. */
export const MAX_MESSAGE_CHARS = 32_768;
/** Longest completion a response may carry, in characters; bounds the work of scoring it. */
export const MAX_COMPLETION_CHARS = 32_768;
/** Largest `max_tokens` a request may ask for. */
export const MAX_COMPLETION_TOKENS = 4_096;

const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(MAX_MESSAGE_CHARS),
});

/** An OpenAI-style chat completion request (the fields the stack uses; others are dropped). */
export const chatCompletionRequestSchema = z.object({
  model: z.string().min(1).max(256),
  messages: z.array(chatMessageSchema).min(1).max(64),
  max_tokens: z.int().min(1).max(MAX_COMPLETION_TOKENS).optional(),
  temperature: z.number().min(0).max(2).optional(),
  seed: z.int().optional(),
});

const usageSchema = z.object({
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
  total_tokens: z.int().min(0),
});

/** An OpenAI-style chat completion response; the answer is `choices[0].message.content`. */
export const chatCompletionResponseSchema = z.object({
  id: z.string().max(256).optional(),
  object: z.literal('chat.completion').optional(),
  model: z.string().max(256).optional(),
  choices: z
    .array(
      z.object({
        index: z.int().min(0).optional(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().max(MAX_COMPLETION_CHARS),
        }),
        finish_reason: z.string().max(64).nullable().optional(),
      }),
    )
    .min(1)
    .max(16),
  usage: usageSchema.optional(),
});

export type ChatMessage = z.output<typeof chatMessageSchema>;
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
export type ChatCompletionResponse = z.output<typeof chatCompletionResponseSchema>;
export type ChatCompletionUsage = z.output<typeof usageSchema>;

/**
 * The model the validator compares miners' completions with. Operators point it at an endpoint of their
 * choosing (an HTTP client lives with the services); tests and local runs use `DeterministicReferenceModel`.
 */
export interface ReferenceModel {
  /** The reference completion text for a request. */
  complete(request: ChatCompletionRequest): Promise<string>;
}
