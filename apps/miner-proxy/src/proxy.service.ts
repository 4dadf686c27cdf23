import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import {
  type EpistulaSigner,
  type EpistulaVerifier,
  signEpistulaResponse,
  type VerifiedEpistulaRequest,
} from '@vstack/epistula';
import type { Logger } from '@vstack/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MinerProxyError, MinerProxyErrorCode } from './errors';
import type { MetagraphSource } from './metagraph-source';
import type { ProxyMetrics, ProxyOutcome } from './proxy-metrics';
import type { StakeRateLimiter } from './rate-limiter';
import {
  endToEndHeaders,
  isUpstreamTimeout,
  type ProxyRoute,
  Upstream,
  type UpstreamResponse,
  VERIFIED_HOTKEY_HEADER,
} from './upstreams';

/** Signing of upstream answers with the miner's hotkey (SIGN_RESPONSES). */
export interface ResponseSigning {
  signer: EpistulaSigner;
  /** Largest body held in memory to sign; larger ones, and those without Content-Length, pass unsigned. */
  maxBytes: number;
}

export interface ProxyOptions {
  routes: readonly ProxyRoute[];
  verifier: EpistulaVerifier;
  metagraph: MetagraphSource;
  rateLimiter: StakeRateLimiter;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  metrics: ProxyMetrics;
  /** Off when undefined. */
  responseSigning?: ResponseSigning | undefined;
  logger: Logger;
}

/** Says why an upstream answer carries no Epistula-Response-Signature while SIGN_RESPONSES is on. */
export const UNSIGNED_HEADER = 'x-epistula-unsigned';

/** Why an answer passed unsigned: no Content-Length (a stream), or more bytes than the proxy holds to sign. */
export type UnsignedReason = 'streamed' | 'too_large';

interface ReadBody {
  bytes: Buffer;
  size: number;
  sha256Hex: string;
}

/** The client closed the connection before its request body arrived. */
class ClientGone extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGone';
  }
}

/** Epistula headers the upstream may have set itself: the proxy's own replace them when it signs. */
const epistulaResponseHeaders = [
  'epistula-version',
  'epistula-timestamp',
  'epistula-uuid',
  'epistula-signed-by',
  'epistula-signed-for',
  'epistula-request-signature',
  'epistula-response-signature',
  UNSIGNED_HEADER,
];

/** The body length the upstream declared: 0 for statuses without a body, undefined for a stream. */
function declaredLength(response: UpstreamResponse): number | undefined {
  if (response.statusCode === 204 || response.statusCode === 304) return 0;
  const header = response.headers['content-length'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function outcomeOf(error: unknown): { outcome: ProxyOutcome; code: string } {
  if (error instanceof MinerProxyError) {
    if (error.code === MinerProxyErrorCode.UpstreamUnavailable)
      return { outcome: 'upstream_error', code: error.code };
    if (error.code === MinerProxyErrorCode.UpstreamTimeout)
      return { outcome: 'upstream_timeout', code: error.code };
  }
  return { outcome: 'refused', code: isCoded(error) ? error.code : 'internal_error' };
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
          this.handle(request, reply, route.prefix, upstream);
        scope.route({ method: [...methods], url: route.prefix, handler });
        scope.route({ method: [...methods], url: `${route.prefix}/*`, handler });
      }
      done();
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()));
  }

  private async handle(
    request: FastifyRequest,
    reply: FastifyReply,
    route: string,
    upstream: Upstream,
  ): Promise<void> {
    let body: ReadBody;
    try {
      body = await this.readBody(request.raw);
    } catch (error) {
      if (error instanceof ClientGone) {
        this.options.metrics.ended(route, 'client_gone');
        return;
      }
      // The rest of the body is left unread: the connection closes after the refusal.
      void reply.header('connection', 'close');
      this.refuse(reply, route, error);
      return;
    }
    let verified: VerifiedEpistulaRequest;
    try {
      verified = await this.options.verifier.verify(request.headers, { sha256Hex: body.sha256Hex });
      const { signedBy } = verified;
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
      this.refuse(reply, route, error);
      return;
    }
    await this.forward(request, reply, route, upstream, body.bytes, verified);
  }

  /** Reads the body, hashing all of it and keeping at most the limit, so size is judged after the signature. */
  private readBody(raw: IncomingMessage): Promise<ReadBody> {
    const { maxBodyBytes } = this.options;
    const hardLimit = maxBodyBytes * HARD_LIMIT_FACTOR + 65_536;
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      let ended = false;
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
        ended = true;
        resolve({ bytes: Buffer.concat(chunks), size, sha256Hex: hash.digest('hex') });
      });
      raw.once('error', () => {
        reject(new ClientGone());
      });
      raw.once('close', () => {
        if (!ended) reject(new ClientGone());
      });
    });
  }

  /** Answers with the error's code and status (500 for unknown errors) and counts the outcome. */
  private refuse(reply: FastifyReply, route: string, error: unknown): void {
    const { outcome, code } = outcomeOf(error);
    this.options.metrics.ended(route, outcome, code);
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
    route: string,
    upstream: Upstream,
    body: Buffer,
    verified: VerifiedEpistulaRequest,
  ): Promise<void> {
    const { metrics } = this.options;
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.once('close', onClose);
    const headers = endToEndHeaders(request.headers, ['host', 'content-length', VERIFIED_HOTKEY_HEADER]);
    headers[VERIFIED_HOTKEY_HEADER] = verified.signedBy;
    if (body.length > 0) headers['content-length'] = String(body.length);
    try {
      const started = performance.now();
      let response: UpstreamResponse;
      try {
        response = await upstream.forward({
          method: request.method,
          path: request.url,
          headers,
          body,
          signal: controller.signal,
        });
      } catch (error) {
        if (controller.signal.aborted) metrics.ended(route, 'client_gone');
        else this.refuse(reply, route, error);
        return;
      }
      metrics.upstreamAnswered(route, response.statusCode, (performance.now() - started) / 1000);
      if (controller.signal.aborted) {
        response.body.resume();
        metrics.ended(route, 'client_gone');
        return;
      }
      const outgoing = { ...response.headers, 'x-correlation-id': request.id };
      const signing = this.options.responseSigning;
      if (signing === undefined) {
        await this.stream(reply, route, response, outgoing, controller);
        return;
      }
      for (const name of epistulaResponseHeaders) Reflect.deleteProperty(outgoing, name);
      const length = declaredLength(response);
      if (length === undefined || length > signing.maxBytes) {
        const reason: UnsignedReason = length === undefined ? 'streamed' : 'too_large';
        await this.stream(reply, route, response, { ...outgoing, [UNSIGNED_HEADER]: reason }, controller);
        return;
      }
      await this.signAndSend(reply, route, response, outgoing, controller, signing, verified);
    } finally {
      reply.raw.off('close', onClose);
    }
  }

  /** Pipes the upstream answer through as it arrives (SSE and chunked bodies chunk by chunk). */
  private async stream(
    reply: FastifyReply,
    route: string,
    response: UpstreamResponse,
    headers: Record<string, string | string[]>,
    controller: AbortController,
  ): Promise<void> {
    let upstreamFailure: unknown;
    reply.hijack();
    reply.raw.writeHead(response.statusCode, headers);
    // A stream's headers go out at once, before its first chunk; a sized body's go with it.
    if (headers['content-length'] === undefined) reply.raw.flushHeaders();
    try {
      // pipe() rather than pipeline(): the same backpressure without an AbortController per request.
      await new Promise<void>((resolve, reject) => {
        response.body.once('error', (error: unknown) => {
          if (!controller.signal.aborted) upstreamFailure = error;
          reply.raw.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        });
        finished(reply.raw).then(resolve, reject);
        response.body.pipe(reply.raw);
      });
      this.options.metrics.ended(route, 'forwarded');
    } catch {
      // The client left (the upstream request is aborted) or the upstream broke off (the client's is closed).
      controller.abort();
      const outcome: ProxyOutcome =
        upstreamFailure === undefined
          ? 'client_gone'
          : isUpstreamTimeout(upstreamFailure)
            ? 'upstream_timeout'
            : 'upstream_error';
      this.options.metrics.ended(route, outcome);
    }
  }

  /** Reads the whole (sized) answer, signs it for the validator that asked, and sends it with the signature. */
  private async signAndSend(
    reply: FastifyReply,
    route: string,
    response: UpstreamResponse,
    headers: Record<string, string | string[]>,
    controller: AbortController,
    signing: ResponseSigning,
    verified: VerifiedEpistulaRequest,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response.body) chunks.push(chunk);
    } catch (error) {
      if (controller.signal.aborted) {
        this.options.metrics.ended(route, 'client_gone');
        return;
      }
      this.refuse(
        reply,
        route,
        isUpstreamTimeout(error)
          ? new MinerProxyError(
              MinerProxyErrorCode.UpstreamTimeout,
              `the upstream did not finish its answer within ${this.options.upstreamTimeoutMs} ms between chunks`,
            )
          : new MinerProxyError(MinerProxyErrorCode.UpstreamUnavailable, 'the upstream broke off its answer'),
      );
      return;
    }
    const bytes = Buffer.concat(chunks);
    let signature: Record<string, string>;
    try {
      signature = signEpistulaResponse(signing.signer, bytes, { request: verified });
    } catch (error) {
      this.refuse(reply, route, error);
      return;
    }
    reply.hijack();
    // 204 and 304 carry no body and no Content-Length.
    const bodyless = response.statusCode === 204 || response.statusCode === 304;
    reply.raw.writeHead(response.statusCode, {
      ...headers,
      ...(bodyless ? {} : { 'content-length': String(bytes.length) }),
      ...signature,
    });
    reply.raw.end(bodyless ? undefined : bytes);
    try {
      await finished(reply.raw);
      this.options.metrics.ended(route, 'forwarded');
    } catch {
      this.options.metrics.ended(route, 'client_gone');
    }
  }
}
