/** An HTTP answer with its body parsed as JSON when it is JSON. */
export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as the JSON body. */
  json?: unknown;
  headers?: Record<string, string>;
}

/** One request to `baseUrl + path`. */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') === true;
  return {
    status: response.status,
    headers: response.headers,
    body: (isJson ? JSON.parse(text) : text) as T,
  };
}

/** One server-sent event: its name (`message` when it has none) and its data lines joined by "\n". */
export interface ServerEvent {
  event: string;
  data: string;
}

/**
 * Splits server-sent event text into events as it arrives: pieces may cut lines anywhere. Comments are skipped;
 * `\r\n`, `\r` and `\n` all end a line.
 */
export class ServerEventParser {
  private buffer = '';
  private name: string | undefined;
  private data: string[] = [];

  constructor(private readonly onEvent: (event: ServerEvent) => void) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const newline = this.buffer.search(/\r\n|\r|\n/);
      if (newline < 0) return;
      // A "\r" at the very end may be the first half of "\r\n".
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onEvent({ event: this.name ?? 'message', data: this.data.join('\n') });
      this.name = undefined;
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const raw = colon < 0 ? '' : line.slice(colon + 1);
    const value = raw.startsWith(' ') ? raw.slice(1) : raw;
    if (field === 'event') this.name = value;
    else if (field === 'data') this.data.push(value);
  }
}

/** An open event stream: the events so far, and a way to wait for the next ones. */
export interface EventStreamReader {
  status: number;
  headers: Headers;
  readonly events: readonly ServerEvent[];
  /** Resolves once `count` events have arrived; rejects when the stream ends first or `timeoutMs` passes. */
  waitForEvents(count: number, timeoutMs: number): Promise<readonly ServerEvent[]>;
  /** Resolves when the server ends the stream; rejects after `timeoutMs`. */
  ended(timeoutMs: number): Promise<readonly ServerEvent[]>;
  close(): void;
}

/** Opens a server-sent event stream and reads it in the background. */
export async function openEventStream(url: string, init: RequestInit): Promise<EventStreamReader> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const events: ServerEvent[] = [];
  const listeners = new Set<() => void>();
  let done = false;
  let failure: unknown;
  const notify = () => {
    for (const listener of listeners) listener();
  };
  const parser = new ServerEventParser((event) => {
    events.push(event);
    notify();
  });
  const reading = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      parser.push(decoder.decode(chunk, { stream: true }));
    }
  })()
    .catch((error: unknown) => {
      if (!controller.signal.aborted) failure = error;
    })
    .finally(() => {
      done = true;
      notify();
    });
  const waitUntil = (ready: () => boolean, what: string, timeoutMs: number) =>
    new Promise<readonly ServerEvent[]>((resolve, reject) => {
      const check = () => {
        if (ready()) {
          finish();
          resolve(events);
        } else if (done) {
          finish();
          reject(
            new Error(
              `the stream ended before ${what}: ${JSON.stringify(events)}${failure instanceof Error ? ` (${failure.message})` : ''}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms: ${JSON.stringify(events)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return {
    status: response.status,
    headers: response.headers,
    events,
    waitForEvents: (count, timeoutMs) =>
      waitUntil(() => events.length >= count, `${count} events`, timeoutMs),
    ended: async (timeoutMs) => {
      const timer = setTimeout(() => {
        controller.abort();
      }, timeoutMs);
      try {
        await reading;
      } finally {
        clearTimeout(timer);
      }
      if (controller.signal.aborted) throw new Error(`the stream did not end within ${timeoutMs} ms`);
      if (failure instanceof Error) throw failure;
      if (failure !== undefined) throw new Error('the stream failed', { cause: failure });
      return events;
    },
    close: () => {
      controller.abort();
    },
  };
}
