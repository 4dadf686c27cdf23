import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { SidecarConfig } from '@vstack/config';
import {
  API_PREFIX,
  type Block,
  CACHE_AGE_HEADER,
  type IdentitiesResponse,
  TIMEOUT_HEADER,
  WARNING_HEADER,
} from '@vstack/sidecar-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdentityAccess, ReadAccess } from '../auth/access.guard';
import { IdentitiesService } from '../auth/identities.service';
import { SidecarError, SidecarErrorCode } from '../errors';
import { requestTimeoutMs, withinTimeout } from '../http/request-timeout';
import { SIDECAR_CONFIG } from '../tokens';
import { type BlockChoice, type CachedAnswer, NeuronsCache } from './neurons-cache';
import { type Staleness, staleWarning } from './staleness';

const U32_MAX = 4_294_967_295;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A netuid path segment: 0 to 65535, else 400. */
export function parseNetuid(text: string): number {
  const netuid = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(netuid <= 65_535)) {
    throw new SidecarError(
      SidecarErrorCode.InvalidRequest,
      `netuid "${text}" must be a whole number from 0 to 65535`,
    );
  }
  return netuid;
}

/** A block path segment: `latest`, `recent` or a block number, else 400. */
export function parseBlock(text: string): BlockChoice {
  if (text === 'latest' || text === 'recent') return text;
  const block = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(block <= U32_MAX)) {
    throw new SidecarError(
      SidecarErrorCode.InvalidRequest,
      `block "${text}" must be "latest", "recent" or a block number`,
    );
  }
  return block;
}

/**
 * The read API (Pylon's paths): neurons and validators of a subnet at a block, the latest block, the identities.
 * Cached answers go out at once as the bytes serialized when the block was cached; reads that need the chain are
 * bounded by `x-timeout-ms`.
 */
@Controller(API_PREFIX.slice(1))
export class MetagraphController {
  private readonly defaultTimeoutMs: number;

  constructor(
    private readonly cache: NeuronsCache,
    private readonly identities: IdentitiesService,
    @Inject(SIDECAR_CONFIG) config: Pick<SidecarConfig, 'SIDECAR_REQUEST_TIMEOUT_MS'>,
  ) {
    this.defaultTimeoutMs = config.SIDECAR_REQUEST_TIMEOUT_MS;
  }

  @Get('subnet/:netuid/block/:block/neurons')
  @ReadAccess()
  neurons(
    @Param('netuid') netuid: string,
    @Param('block') block: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | Promise<Buffer> {
    return this.#metagraph(request, reply, netuid, block, 'neurons');
  }

  @Get('subnet/:netuid/block/:block/validators')
  @ReadAccess()
  validators(
    @Param('netuid') netuid: string,
    @Param('block') block: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | Promise<Buffer> {
    return this.#metagraph(request, reply, netuid, block, 'validators');
  }

  @Get('identity/:name/subnet/:netuid/block/:block/neurons')
  @IdentityAccess()
  identityNeurons(
    @Param('netuid') netuid: string,
    @Param('block') block: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | Promise<Buffer> {
    return this.#metagraph(request, reply, netuid, block, 'neurons');
  }

  @Get('identity/:name/subnet/:netuid/block/:block/validators')
  @IdentityAccess()
  identityValidators(
    @Param('netuid') netuid: string,
    @Param('block') block: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer | Promise<Buffer> {
    return this.#metagraph(request, reply, netuid, block, 'validators');
  }

  @Get('block/latest')
  @ReadAccess()
  latestBlock(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Block {
    requestTimeoutMs(request.headers[TIMEOUT_HEADER], this.defaultTimeoutMs);
    const { head, staleness } = this.cache.latestBlock();
    this.#ageHeaders(reply, staleness);
    return { number: head.number, hash: head.hash };
  }

  @Get('identities')
  @ReadAccess()
  listIdentities(@Req() request: FastifyRequest): IdentitiesResponse {
    requestTimeoutMs(request.headers[TIMEOUT_HEADER], this.defaultTimeoutMs);
    return {
      identities: this.identities.list().map((identity) => ({
        name: identity.name,
        netuid: identity.netuid,
        hotkey: identity.hotkey.address,
      })),
    };
  }

  #metagraph(
    request: FastifyRequest,
    reply: FastifyReply,
    netuidText: string,
    blockText: string,
    answer: 'neurons' | 'validators',
  ): Buffer | Promise<Buffer> {
    const timeoutMs = requestTimeoutMs(request.headers[TIMEOUT_HEADER], this.defaultTimeoutMs);
    const netuid = parseNetuid(netuidText);
    const block = parseBlock(blockText);
    // The common case, a cached head: answered without a promise or a timer.
    const cached = this.cache.peek(netuid, block);
    if (cached) return this.#send(reply, cached, answer);
    return withinTimeout(this.cache.read(netuid, block), timeoutMs, reply.elapsedTime).then((read) =>
      this.#send(reply, read, answer),
    );
  }

  #send(reply: FastifyReply, cached: CachedAnswer, answer: 'neurons' | 'validators'): Buffer {
    void reply.header('content-type', JSON_CONTENT_TYPE);
    this.#ageHeaders(reply, cached.staleness);
    return answer === 'neurons' ? cached.view.neuronsBody : cached.view.validatorsBody;
  }

  #ageHeaders(reply: FastifyReply, staleness: Staleness): void {
    void reply.header(CACHE_AGE_HEADER, String(staleness.ageBlocks));
    if (staleness.level === 'soft') {
      void reply.header(WARNING_HEADER, staleWarning(staleness.ageBlocks, this.cache.limits));
    }
  }
}
