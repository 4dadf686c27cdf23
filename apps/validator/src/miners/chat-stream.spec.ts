import { chatCompletionResponseSchema } from '@vstack/protocol';
import { describe, expect, it } from 'vitest';
import { ChatStreamAssembler, completionAsChunk, SseParser } from './chat-stream';

function parse(pieces: string[]): string[] {
  const events: string[] = [];
  const parser = new SseParser((data) => events.push(data));
  for (const piece of pieces) parser.push(piece);
  parser.end();
  return events;
}

describe('SseParser', () => {
  it('gives the data of each event, whatever the pieces the stream arrives in', () => {
    const stream = 'data: {"a":1}\n\n: keep-alive\n\nevent: x\nid: 7\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const expected = ['{"a":1}', '{"b":2}', '[DONE]'];
    expect(parse([stream])).toEqual(expected);
    expect(parse(stream.split(''))).toEqual(expected);
    expect(parse([stream.slice(0, 5), stream.slice(5, 23), stream.slice(23)])).toEqual(expected);
  });

  it('reads CRLF and CR line ends, multi-line data and a last event without its blank line', () => {
    expect(parse(['data: one\r\ndata: two\r\n\r\ndata:three\r', '\rdata: last'])).toEqual([
      'one\ntwo',
      'three',
      'last',
    ]);
  });
});

describe('ChatStreamAssembler', () => {
  it('puts the deltas of each choice together into a completion the response schema accepts', () => {
    const assembler = new ChatStreamAssembler();
    for (const chunk of [
      { id: 'c-9', model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      { choices: [{ index: 0, delta: { content: 'Hello' } }] },
      { choices: [{ index: 0, delta: { content: ', world' }, finish_reason: 'stop' }] },
      { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
    ]) {
      expect(assembler.add(JSON.stringify(chunk))).toBeUndefined();
    }
    const completion = assembler.completion();
    expect(completion).toEqual({
      id: 'c-9',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, world' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(chatCompletionResponseSchema.safeParse(completion).success).toBe(true);
  });

  it('refuses a chunk that is not JSON or not a completion chunk', () => {
    const assembler = new ChatStreamAssembler();
    expect(assembler.add('hello')).toBe('stream chunk 0 is not JSON');
    expect(assembler.add('{"choices":"many"}')).toBe('stream chunk 0 is not a chat completion chunk');
  });

  it('adds up to no choice at all for an empty stream, which the schema refuses', () => {
    expect(chatCompletionResponseSchema.safeParse(new ChatStreamAssembler().completion()).success).toBe(
      false,
    );
  });
});

describe('completionAsChunk', () => {
  it('turns a whole completion into one chunk that assembles back into it', () => {
    const completion = {
      id: 'c-1',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant' as const, content: 'hi' }, finish_reason: 'stop' }],
    };
    const assembler = new ChatStreamAssembler();
    expect(assembler.add(completionAsChunk(completion))).toBeUndefined();
    expect(assembler.completion()).toEqual({ ...completion, object: 'chat.completion' });
  });
});
