import { describe, expect, it } from 'vitest';
import { type ServerEvent, ServerEventParser } from './http';

const parse = (pieces: string[]): ServerEvent[] => {
  const events: ServerEvent[] = [];
  const parser = new ServerEventParser((event) => events.push(event));
  for (const piece of pieces) parser.push(piece);
  return events;
};

describe('ServerEventParser', () => {
  it('reads named and unnamed events, joining multi-line data and skipping comments', () => {
    expect(parse(['event: status\ndata: {"a":1}\n\n: keep-alive\n\ndata: one\ndata: two\n\n'])).toEqual([
      { event: 'status', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo' },
    ]);
  });

  it('gives the same events whichever way the text is cut, CRLF included', () => {
    const text = 'event: progress\r\ndata: {"stage":"processing"}\r\n\r\ndata: [DONE]\r\n\r\n';
    const whole = parse([text]);
    expect(whole).toEqual([
      { event: 'progress', data: '{"stage":"processing"}' },
      { event: 'message', data: '[DONE]' },
    ]);
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
  });

  it('holds back an event until its blank line arrives', () => {
    expect(parse(['data: half'])).toEqual([]);
  });
});
