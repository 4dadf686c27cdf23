import type { IncomingHttpHeaders } from 'node:http';
import { errors, Pool } from 'undici';
import { MinerProxyError, MinerProxyErrorCode } from './errors';

/** One public path prefix and the internal server it goes to. */
export interface ProxyRoute {
  /** Public path: `/inference` matches `/inference` and `/inference/...`. */
  prefix: string;
  /** Internal server origin (and optional base path). */
  upstream: string;
}

/**
 * The route table from config: /inference and /tasks/* to the inference server, /train to the training server,
 * then PROXY_ROUTES, whose entries replace a default with the same path.
 */
export function routeTable(
  inferenceUrl: string,
  trainingUrl: string | undefined,
  extra: readonly ProxyRoute[] = [],
): ProxyRoute[] {
  const routes = new Map<string, ProxyRoute>([
    ['/inference', { prefix: '/inference', upstream: inferenceUrl }],
    ['/tasks', { prefix: '/tasks', upstream: inferenceUrl }],
  ]);
  if (trainingUrl !== undefined) routes.set('/train', { prefix: '/train', upstream: trainingUrl });
  for (const route of extra) routes.set(route.prefix, route);
  return [...routes.values()];
}

export const VERIFIED_HOTKEY_HEADER = 'x-epistula-verified-hotkey';

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers without hop-by-hop ones (the fixed list and those the Connection header names). */
export function endToEndHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  drop: readonly string[] = [],
): Record<string, string | string[]> {
  const named = new Set(drop);
  const connection = headers.connection;
  for (const value of Array.isArray(connection) ? connection : connection ? [connection] : []) {
    for (const name of value.split(',')) named.add(name.trim().toLowerCase());
  }
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || hopByHop.has(lower) || named.has(lower)) continue;
    result[lower] = value;
  }
  return result;
}

export interface ForwardRequest {
  method: string;
  /** Path and query after the upstream's base path. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: NodeJS.ReadableStream & AsyncIterable<Buffer>;
}

/** Whether an upstream failure is a timeout (no headers, or a pause between body chunks, past the limit). */
export function isUpstreamTimeout(error: unknown): boolean {
  return error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError;
}

/** A keep-alive connection pool to one internal server. */
export class Upstream {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {
    const parsed = new URL(url);
    this.basePath = parsed.pathname.replace(/\/$/, '');
    this.pool = new Pool(parsed.origin, {
      connections: 128,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** Sends the request; 502 when the server cannot be reached, 504 when it does not answer in time. */
  async forward(request: ForwardRequest): Promise<UpstreamResponse> {
    try {
      const response = await this.pool.request({
        method: request.method,
        path: `${this.basePath}${request.path}`,
        headers: request.headers,
        body: request.body.length > 0 ? request.body : null,
        signal: request.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      return {
        statusCode: response.statusCode,
        headers: endToEndHeaders(response.headers),
        body: response.body,
      };
    } catch (error) {
      if (isUpstreamTimeout(error)) {
        throw new MinerProxyError(
          MinerProxyErrorCode.UpstreamTimeout,
          `the upstream did not answer within ${this.timeoutMs} ms`,
        );
      }
      if (request.signal.aborted) throw error;
      throw new MinerProxyError(MinerProxyErrorCode.UpstreamUnavailable, 'the upstream cannot be reached');
    }
  }

  /** Whether the server accepts a connection (any HTTP answer counts). */
  async reachable(): Promise<boolean> {
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: this.basePath === '' ? '/' : this.basePath,
        headersTimeout: Math.min(this.timeoutMs, 2000),
      });
      await response.body.dump();
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
