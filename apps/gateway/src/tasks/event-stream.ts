import { CORRELATION_HEADER } from '@vstack/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A server-sent event stream on a hijacked reply. */
export interface EventStream {
  /** Sends one event; `data` may span lines. Does nothing once the stream is closed. */
  send(data: string, event?: string): void;
  /** Ends the stream. */
  end(): void;
  readonly closed: boolean;
  /** Aborted when the client goes away (or the stream ends). */
  readonly signal: AbortSignal;
}

/** How often an idle stream sends a comment, so proxies do not time it out. */
const HEARTBEAT_MS = 15_000;

/** Takes the reply over from Fastify and opens a text/event-stream on it. */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  // Headers the route set before the stream opened (a chat stream's X-Task-Id): hijacking leaves them unsent.
  const routeHeaders = Object.fromEntries(
    Object.entries(reply.getHeaders()).filter(
      (entry): entry is [string, string | number | string[]] => entry[1] !== undefined,
    ),
  );
  void reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...routeHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    [CORRELATION_HEADER]: request.id,
  });
  const controller = new AbortController();
  let closed = false;
  const heartbeat = setInterval(() => {
    if (!closed) raw.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    controller.abort();
  };
  raw.once('close', close);
  return {
    send(data, event) {
      if (closed) return;
      const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
      raw.write(`${event === undefined ? '' : `event: ${event}\n`}${lines.join('\n')}\n\n`);
    },
    end() {
      if (closed) return;
      close();
      raw.end();
    },
    get closed() {
      return closed;
    },
    signal: controller.signal,
  };
}
