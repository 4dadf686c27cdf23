import type { ChatCompletionResponse } from '@vstack/protocol';
import { z } from 'zod';

/** The data payload that ends an OpenAI-style stream. */
export const STREAM_DONE = '[DONE]';

/**
 * Splits a server-sent event stream into the data payload of each event. Feed it text as it arrives (chunks may
 * cut lines anywhere); it calls `onData` once per event, with multi-line data joined by "\n". Comments, event
 * names, ids and retry hints are ignored.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  constructor(private readonly onData: (data: string) => void) {}

  /** Takes the next piece of the stream. */
  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const newline = this.buffer.search(/\r\n|\r|\n/);
      if (newline < 0) return;
      // A lone "\r" at the very end may be the first half of "\r\n": wait for the next piece.
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      this.line(line);
    }
  }

  /** The stream ended: an event without its closing blank line still counts. */
  end(): void {
    if (this.buffer !== '') this.line(this.buffer.replace(/\r$/, ''));
    this.buffer = '';
    this.dispatch();
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    const value = colon < 0 ? '' : line.slice(colon + 1);
    this.data.push(value.startsWith(' ') ? value.slice(1) : value);
  }

  private dispatch(): void {
    if (this.data.length === 0) return;
    const data = this.data.join('\n');
    this.data = [];
    this.onData(data);
  }
}

const chunkSchema = z.object({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        index: z.int().min(0).max(15).optional(),
        delta: z
          .object({ role: z.string().optional(), content: z.string().nullable().optional() })
          .optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .optional(),
  usage: z
    .object({ prompt_tokens: z.int(), completion_tokens: z.int(), total_tokens: z.int() })
    .nullable()
    .optional(),
});

interface ChoiceParts {
  content: string;
  finishReason: string | null;
}

/**
 * Puts a chat completion together from the chunks of a stream (`chat.completion.chunk` objects): the content
 * deltas of each choice in order, the last finish reason, the id, model and usage the chunks carry. The result is
 * checked against the task type's response schema by the caller, like any other answer.
 */
export class ChatStreamAssembler {
  private id: string | undefined;
  private model: string | undefined;
  private usage: z.output<typeof chunkSchema>['usage'];
  private readonly choices = new Map<number, ChoiceParts>();
  private chunkCount = 0;

  /** Adds one chunk's data payload; returns why it cannot be read, or undefined. */
  add(data: string): string | undefined {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return `stream chunk ${this.chunkCount} is not JSON`;
    }
    const parsed = chunkSchema.safeParse(value);
    if (!parsed.success) return `stream chunk ${this.chunkCount} is not a chat completion chunk`;
    this.chunkCount += 1;
    const chunk = parsed.data;
    this.id ??= chunk.id;
    this.model ??= chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      const index = choice.index ?? 0;
      const parts = this.choices.get(index) ?? { content: '', finishReason: null };
      parts.content += choice.delta?.content ?? '';
      if (choice.finish_reason) parts.finishReason = choice.finish_reason;
      this.choices.set(index, parts);
    }
    return undefined;
  }

  /** The completion the chunks add up to (not yet checked against the response schema). */
  completion(): unknown {
    return {
      ...(this.id === undefined ? {} : { id: this.id }),
      object: 'chat.completion',
      ...(this.model === undefined ? {} : { model: this.model }),
      choices: [...this.choices.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, parts]) => ({
          index,
          message: { role: 'assistant', content: parts.content },
          finish_reason: parts.finishReason,
        })),
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}

/**
 * A whole completion as one stream chunk, for a caller who asked for a stream from a miner that answered in one
 * piece: the gateway relays the same kind of chunks either way.
 */
export function completionAsChunk(response: ChatCompletionResponse): string {
  return JSON.stringify({
    ...(response.id === undefined ? {} : { id: response.id }),
    object: 'chat.completion.chunk',
    ...(response.model === undefined ? {} : { model: response.model }),
    choices: response.choices.map((choice, position) => ({
      index: choice.index ?? position,
      delta: { role: 'assistant', content: choice.message.content },
      finish_reason: choice.finish_reason ?? 'stop',
    })),
  });
}
