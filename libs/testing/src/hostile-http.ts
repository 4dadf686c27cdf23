import { Agent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';

// Generated hostile HTTP requests for the fuzz tests of the services, and the checks every answer must pass.

/** Cases per fuzzed route: FUZZ_RUNS when set (the long run uses thousands), else `fallback`. */
export function fuzzRuns(fallback = 200): number {
  const value = Number(process.env['FUZZ_RUNS']);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The seed of a fuzz run: FUZZ_SEED when set, so a failure can be replayed, else a fresh one. */
export function fuzzSeed(): number {
  const value = Number(process.env['FUZZ_SEED']);
  return Number.isInteger(value) ? value : Date.now() % 2_147_483_647;
}

/** One request as sent on the wire. */
export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string | undefined;
}

/** An answer read in full. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends a request exactly as given (any method token, raw path, raw headers) and reads the whole answer. */
export function sendHostile(port: number, request: HostileRequest, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        // Node sends the body of a GET, DELETE or OPTIONS without a length unless told one.
        headers:
          request.body === undefined
            ? request.headers
            : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        agent,
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** The payload of a chunked body (as far as it is well formed). */
function dechunk(body: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const end = body.indexOf('\r\n', at);
    if (end < 0) return out;
    const size = Number.parseInt(body.slice(at, end), 16);
    if (!Number.isInteger(size) || size <= 0) return out;
    out += body.slice(end + 2, end + 2 + size);
    at = end + 2 + size + 2;
  }
}

/** Writes raw bytes on a fresh connection and returns the status of the first answer (0 if the server just closed). */
export function sendRawBytes(port: number, bytes: Buffer, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.split('\r\n\r\n', 1)[0] ?? '';
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const headers: IncomingHttpHeaders = {};
      for (const line of head.split('\r\n').slice(1)) {
        const at = line.indexOf(':');
        if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
      }
      const body = text.slice(head.length + 4);
      resolve({ status, headers, text: headers['transfer-encoding'] === 'chunked' ? dechunk(body) : body });
    });
    // The server answers and closes; the end of our side tells it no more requests follow.
    socket.end(bytes);
  });
}

/** Closes the pooled connections of sendHostile. */
export function closeHostileConnections(): void {
  agent.destroy();
}

/**
 * What every answer to a hostile request must be: never a 5xx, and every refusal a JSON
 * `{ "error": { "code", "message" } }` (HEAD answers carry no body). Returns a description of what is wrong, or
 * undefined.
 */
export function answerProblem(method: string, answer: RawAnswer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.status < 400 || method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `status ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 300)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    return `status ${answer.status} without { error: { code, message } }: ${answer.text.slice(0, 300)}`;
  }
  return undefined;
}

const nastyKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
];

/** Numbers JSON can spell but JavaScript cannot hold exactly, or at all. */
const hugeNumbers = [
  '1e309',
  '-1e309',
  '123456789012345678901234567890123456789',
  '-0',
  '0.0000000000000000000000000000000000000000000000001',
  '9007199254740993',
  '1E400',
  '4.9e-325',
  '1'.repeat(400),
];

/** Texts that break JSON parsers in the usual ways. */
const malformedJson = [
  '{',
  '{"a":}',
  '{"a":1,}',
  '[1,2,,3]',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":1}/* comment */',
  '\uFEFF{"a":1}',
  '{"a":"\\u00"}',
  '{"a":"\\ud800"}',
  '"unterminated',
  '{"a":1}{"b":2}',
  'nul',
  '\u0000',
  '{"__proto__":',
];

/** Deeply nested arrays and objects, up to `maxDepth` levels. */
function nested(maxDepth: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 50, max: maxDepth }), fc.boolean(), fc.boolean())
    .map(([depth, objects, closed]) => {
      const open = objects ? '{"a":'.repeat(depth) : '['.repeat(depth);
      const close = objects ? '}'.repeat(depth) : ']'.repeat(depth);
      return `${open}1${closed ? close : ''}`;
    });
}

/** An object whose keys try prototype pollution, at the top and inside. */
const pollutingObject = fc
  .tuple(fc.constantFrom(...nastyKeys), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
  .map(([key, value, deep]) => {
    const inner = `{"${key}":{"polluted":true,"isAdmin":true,"value":${JSON.stringify(value)}}}`;
    return deep ? `{"input":${inner},"text":${inner},"weights":${inner}}` : inner;
  });

/** A JSON-ish body of the kinds that crash or bloat servers, as text. */
export function hostileJsonText(maxDepth = 20_000): fc.Arbitrary<string> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
    fc.constantFrom(...malformedJson),
    nested(maxDepth),
    pollutingObject,
    fc
      .tuple(
        fc.constantFrom(...hugeNumbers),
        fc.constantFrom('a', 'b', 'amount', 'credits', 'netuid', 'limit'),
      )
      .map(([number, key]) => `{"${key}":${number},"input":{"a":${number},"b":${number}}}`),
    fc.string({ unit: 'binary', maxLength: 300 }).map((text) => JSON.stringify({ text, name: text })),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.integer({ min: 1_000, max: 200_000 }).map((length) => JSON.stringify({ text: 'x'.repeat(length) })),
    fc.integer({ min: 100, max: 20_000 }).map((count) =>
      JSON.stringify({
        weights: Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i])),
      }),
    ),
  );
}

/** Content types right, wrong, odd and absent (undefined). */
export const hostileContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json;;;',
    'text/plain',
    'text/html',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'application/octet-stream',
    'application/xml',
    '*/*',
    '',
    undefined,
  ),
  fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,20}$/),
);

/** A header value Node will send: visible Latin-1, spaces and tabs. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 100 }).map((text) => text.replace(/[^\x20-\x7e\t]/g, '?').trim()),
  fc.integer({ min: 1, max: 8_000 }).map((length) => 'A'.repeat(length)),
  fc.constantFrom('', '0', '-1', '1e309', 'null', 'undefined', '__proto__', '../../etc/passwd', '%00'),
);

/** A header name Node will send (an HTTP token). */
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/);

/** Extra headers: random ones, and the ones services read, with odd values. */
export function hostileHeaders(known: readonly string[] = []): fc.Arbitrary<Record<string, string>> {
  const names = [
    'accept',
    'prefer',
    'idempotency-key',
    'x-correlation-id',
    'x-timeout-ms',
    'x-forwarded-for',
    'cookie',
    'origin',
    'range',
    'if-none-match',
    'last-event-id',
    'accept-encoding',
    ...known,
  ];
  return fc.dictionary(fc.oneof(fc.constantFrom(...names), headerName), headerValue, { maxKeys: 6 });
}

/** Path segments that upset routers: encodings, traversal, long, unicode, empty. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '.',
    '..',
    '%2e%2e',
    '%00',
    '%ff',
    '%',
    '%zz',
    '%2F',
    '__proto__',
    'constructor',
    'prototype',
    '-1',
    '0',
    '1e309',
    '99999999999999999999999',
    'NaN',
    'latest',
    ';',
    '%20',
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 150, max: 3_000 }).map((length) => 'a'.repeat(length)),
  fc.uuid(),
  fc.nat().map(String),
);

/** Query strings with odd, repeated and prototype-polluting keys. */
export const hostileQuery: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            'limit',
            'cursor',
            'before',
            'status',
            'type',
            'block',
            '__proto__',
            '__proto__[admin]',
            'constructor[prototype][admin]',
            'a[]',
            'a[0]',
          ),
          fc.string({ maxLength: 10 }),
        ),
        fc.oneof(headerValue, fc.constantFrom('-1', '1e309', '0x10', '1.5', '99999999999999999999')),
      ),
      { maxLength: 5 },
    )
    .map(
      (pairs) =>
        `?${pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}`,
    ),
);

/** Growth of a service's resident memory over a whole fuzz run that counts as a leak. */
export const RSS_GROWTH_LIMIT_BYTES = 160 * 1024 * 1024;

/** A request path from fixed segments and generated ones, with a hostile query string one time in four. */
export function hostilePath(...parts: (string | fc.Arbitrary<string>)[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.tuple(...parts.map((part) => (typeof part === 'string' ? fc.constant(part) : part))),
      fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: hostileQuery }),
    )
    .map(([segments, query]) => `/${segments.join('/')}${query}`);
}

/** Methods, the usual ones and some a server may never have seen. */
export const hostileMethod: fc.Arbitrary<string> = fc.constantFrom(
  'GET',
  'GET',
  'POST',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'SEARCH',
);

/** Byte strings that are not valid HTTP/1.1, or only just. */
export const hostileRawRequest: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc
    .constantFrom(
      'GET / HTTP/1.1\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n X-Folded: y\r\n\r\n',
      'BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n',
      '\r\n\r\n\r\n',
    )
    .map((text) => Buffer.from(text, 'latin1')),
  fc
    .tuple(fc.constantFrom('GET', 'POST', 'XYZ'), fc.string({ unit: 'binary', maxLength: 60 }))
    .map(([method, path]) => Buffer.from(`${method} /${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 'utf8')),
);

/** A sample of a service's own /metrics (the process's `vstack_` metrics), by its full name. */
export async function serviceMetric(url: string, metricsToken: string, name: string): Promise<number> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  const text = await response.text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `) || entry.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`no ${name} on ${url}/metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The resident memory of a service, read from its /metrics (the process's own RSS). */
export function residentBytes(url: string, metricsToken: string): Promise<number> {
  return serviceMetric(url, metricsToken, 'vstack_process_resident_memory_bytes');
}

/** The memory of a service as a line for a test's output: resident, and the JavaScript heap in use. */
export async function memoryLine(url: string, metricsToken: string): Promise<string> {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const [rss, heap] = await Promise.all([
    residentBytes(url, metricsToken),
    serviceMetric(url, metricsToken, 'vstack_nodejs_heap_size_used_bytes'),
  ]);
  return `RSS ${mib(rss)}, heap used ${mib(heap)}`;
}

/** A route to fuzz: the methods it answers and its paths (parameters and query already generated). */
export interface FuzzRoute {
  name: string;
  methods: readonly string[];
  path: fc.Arbitrary<string>;
}

/** Authorization header values around the given tokens: right, nearly right, malformed, absent (undefined). */
export function hostileAuthorization(tokens: readonly string[]): fc.Arbitrary<string | undefined> {
  const token = fc.constantFrom(...tokens, 'vsk_' + 'A'.repeat(43), 'x');
  return fc.oneof(
    fc.constant(undefined),
    token.map((value) => `Bearer ${value}`),
    token.map((value) => `bearer   ${value}  `),
    token.map((value) => `Bearer ${value}x`),
    token.map((value) => `Bearer ${value.slice(0, -1)}`),
    token.map((value) => `Basic ${Buffer.from(`user:${value}`).toString('base64')}`),
    token.map((value) => value),
    fc.constantFrom('Bearer', 'Bearer ', 'Bearer a b', 'Bearer\t', ''),
    headerValue.map((value) => `Bearer ${value}`),
  );
}

/** A hostile request on one route: its methods mostly, odd headers, auth and bodies. */
export function hostileRequest(
  route: FuzzRoute,
  options: { tokens: readonly string[]; headers?: readonly string[] },
): fc.Arbitrary<HostileRequest> {
  const method = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...route.methods) },
    { weight: 1, arbitrary: hostileMethod },
  );
  return fc
    .record({
      method,
      path: route.path,
      headers: hostileHeaders(options.headers ?? []),
      authorization: hostileAuthorization(options.tokens),
      contentType: hostileContentType,
      body: fc.option(hostileJsonText(), { nil: undefined, freq: 5 }),
    })
    .map(({ method: chosen, path, headers, authorization, contentType, body }) => {
      const all: Record<string, string> = { ...headers };
      if (authorization !== undefined) all['authorization'] = authorization;
      if (contentType !== undefined) all['content-type'] = contentType;
      const withBody = chosen !== 'GET' && chosen !== 'HEAD' && body !== undefined;
      return { method: chosen, path, headers: all, ...(withBody ? { body } : {}) };
    });
}

/** One line about a request, for assertion messages (bodies cut short). */
export function describeRequest(request: HostileRequest): string {
  const body = request.body === undefined ? '' : ` ${String(request.body).slice(0, 200)}`;
  const headers = JSON.stringify(request.headers).slice(0, 300);
  return `${request.method} ${request.path.slice(0, 300)} ${headers}${body}`;
}

/**
 * Sends `runs` generated requests for the route and checks each answer with answerProblem; returns how many were
 * sent and how many refused (4xx). `check` may add checks of its own.
 */
export async function fuzzRoute(
  port: number,
  route: FuzzRoute,
  options: {
    tokens: readonly string[];
    headers?: readonly string[];
    runs?: number;
    seed?: number;
    /** Headers to add to each request just before it is sent (a signature over the final body). */
    finish?: (request: HostileRequest) => HostileRequest;
  },
): Promise<{ sent: number; refused: number }> {
  let sent = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(hostileRequest(route, options), async (generated) => {
      const request = options.finish ? options.finish(generated) : generated;
      let answer: RawAnswer;
      try {
        answer = await sendHostile(port, request);
      } catch (error) {
        throw new Error(`no answer (${String(error)})\n  for ${describeRequest(request)}`, { cause: error });
      }
      sent += 1;
      if (answer.status >= 400) refused += 1;
      const problem = answerProblem(request.method, answer);
      if (problem !== undefined) throw new Error(`${problem}\n  for ${describeRequest(request)}`);
    }),
    { numRuns: options.runs ?? fuzzRuns(), seed: options.seed ?? fuzzSeed(), endOnFailure: true },
  );
  return { sent, refused };
}

/** Sends `runs` generated byte strings that are not (quite) HTTP; every answer must pass answerProblem. */
export async function fuzzRawBytes(port: number, runs = fuzzRuns()): Promise<number> {
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(hostileRawRequest, async (bytes) => {
      const answer = await sendRawBytes(port, bytes);
      sent += 1;
      const problem = answerProblem('GET', answer);
      if (problem !== undefined) {
        throw new Error(`${problem}\n  for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
      }
    }),
    { numRuns: runs, seed: fuzzSeed(), endOnFailure: true },
  );
  return sent;
}
