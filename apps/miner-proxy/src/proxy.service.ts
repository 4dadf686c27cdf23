import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { EpistulaVerifier } from '@vstack/epistula';
import type { Logger } from '@vstack/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MinerProxyError, MinerProxyErrorCode } from './errors';
import type { MetagraphSource } from './metagraph-source';
import type { StakeRateLimiter } from './rate-limiter';
import { endToEndHeaders, type ProxyRoute, Upstream, VERIFIED_HOTKEY_HEADER } from './upstreams';

export interface ProxyOptions {
  routes: readonly ProxyRoute[];
  verifier: EpistulaVerifier;
  metagraph: MetagraphSource;
  rateLimiter: StakeRateLimiter;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  logger: Logger;
}

interface ReadBody {
  bytes: Buffer;
  size: number;
  sha256Hex: string;
}

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Bodies past this many times the limit are cut off at once instead of being hashed to order the refusals. */
const HARD_LIMIT_FACTOR = 4;

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function isCoded(error: unknown): error is Error & { code: string; httpStatus: number } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { httpStatus?: unknown }).httpStatus === 'number'
  );
}

/**
 * The public side of a miner: verifies each request (Epistula, then body size, then the validator's rate), then
 * streams it to the internal server and streams the answer back.
 */
export class ProxyService {
  readonly upstreams = new Map<string, Upstream>();

  constructor(private readonly options: ProxyOptions) {
    for (const route of options.routes) {
      if (!this.upstreams.has(route.upstream)) {
        this.upstreams.set(route.upstream, new Upstream(route.upstream, options.upstreamTimeoutMs));
      }
    }
  }

  /** Registers the routes in their own Fastify scope, whose body parser leaves the bytes to the proxy. */
  async register(fastify: FastifyInstance): Promise<void> {
    await fastify.register((scope, _options, done) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, next) => {
        next(null, undefined);
      });
      for (const route of this.options.routes) {
        const upstream = this.upstreams.get(route.upstream);
        if (upstream === undefined) continue;
        const handler = (request: FastifyRequest, reply: FastifyReply) =>
          this.handle(request, reply, upstream);
        scope.route({ method: [...methods], url: route.prefix, handler });
        scope.route({ method: [...methods], url: `${route.prefix}/*`, handler });
      }
      done();
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply, upstream: Upstream): Promise<void> {
    let body: ReadBody;
    try {
      body = await this.readBody(request.raw);
    } catch (error) {
      // The rest of the body is left unread: the connection closes after the refusal.
      void reply.header('connection', 'close');
      this.refuse(reply, error);
      return;
    }
    let signedBy: string;
    try {
      ({ signedBy } = await this.options.verifier.verify(request.headers, { sha256Hex: body.sha256Hex }));
      if (body.size > this.options.maxBodyBytes) {
        throw new MinerProxyError(
          MinerProxyErrorCode.BodyTooLarge,
          `the body is ${body.size} bytes; the limit is ${this.options.maxBodyBytes}`,
        );
      }
      const stake = this.options.metagraph.standing(signedBy)?.stake ?? 0n;
      const rate = this.options.rateLimiter.take(signedBy, stake);
      if (!rate.allowed) {
        throw new MinerProxyError(
          MinerProxyErrorCode.RateLimited,
          `${signedBy} sends faster than its stake allows; retry in ${rate.retryAfterSeconds} s`,
          rate.retryAfterSeconds,
        );
      }
    } catch (error) {
      this.refuse(reply, error);
      return;
    }
    await this.forward(request, reply, upstream, body.bytes, signedBy);
  }

  /** Reads the body, hashing all of it and keeping at most the limit, so size is judged after the signature. */
  private readBody(raw: IncomingMessage): Promise<ReadBody> {
    const { maxBodyBytes } = this.options;
    const hardLimit = maxBodyBytes * HARD_LIMIT_FACTOR + 65_536;
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      raw.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > hardLimit) {
          raw.removeAllListeners('data');
          raw.pause();
          reject(
            new MinerProxyError(
              MinerProxyErrorCode.BodyTooLarge,
              `the body is over ${hardLimit} bytes; the limit is ${maxBodyBytes}`,
            ),
          );
          return;
        }
        hash.update(chunk);
        if (size <= maxBodyBytes) chunks.push(chunk);
      });
      raw.once('end', () => {
        resolve({ bytes: Buffer.concat(chunks), size, sha256Hex: hash.digest('hex') });
      });
      raw.once('error', reject);
    });
  }

  private refuse(reply: FastifyReply, error: unknown): void {
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    if (isCoded(error)) {
      if (error instanceof MinerProxyError && error.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(error.retryAfterSeconds));
      }
      void reply.code(error.httpStatus).send(errorBody(error.code, error.message));
      return;
    }
    this.options.logger.error({ err: error }, 'proxy failure');
    void reply.code(500).send(errorBody('internal_error', 'internal error'));
  }

  private async forward(
    request: FastifyRequest,
    reply: FastifyReply,
    upstream: Upstream,
    body: Buffer,
    signedBy: string,
  ): Promise<void> {
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.once('close', onClose);
    const headers = endToEndHeaders(request.headers, ['host', 'content-length', VERIFIED_HOTKEY_HEADER]);
    headers[VERIFIED_HOTKEY_HEADER] = signedBy;
    if (body.length > 0) headers['content-length'] = String(body.length);
    try {
      const response = await upstream.forward({
        method: request.method,
        path: request.url,
        headers,
        body,
        signal: controller.signal,
      });
      if (controller.signal.aborted) {
        response.body.resume();
        return;
      }
      reply.hijack();
      reply.raw.writeHead(response.statusCode, { ...response.headers, 'x-correlation-id': request.id });
      reply.raw.flushHeaders();
      try {
        await pipeline(response.body, reply.raw);
      } catch {
        // The client left or the upstream broke mid-stream: both sides are closed by the pipeline.
        controller.abort();
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      this.refuse(reply, error);
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}
