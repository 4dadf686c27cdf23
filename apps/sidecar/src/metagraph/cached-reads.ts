import { API_PREFIX, CACHE_AGE_HEADER, TIMEOUT_HEADER } from '@vstack/sidecar-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerOf } from '../auth/access.guard';
import type { IdentitiesService } from '../auth/identities.service';
import { requestTimeoutMs } from '../http/request-timeout';
import type { NeuronsCache } from './neurons-cache';

interface CachedRoute {
  answer: 'neurons' | 'validators';
  /** Identity routes take the named identity's token; the others any read token. */
  identity: boolean;
}

/** The controller's routes (MetagraphController) whose `latest` and `recent` answers are kept in memory. */
const cachedRoutes = new Map<string, CachedRoute>([
  [`${API_PREFIX}/subnet/:netuid/block/:block/neurons`, { answer: 'neurons', identity: false }],
  [`${API_PREFIX}/subnet/:netuid/block/:block/validators`, { answer: 'validators', identity: false }],
  [`${API_PREFIX}/identity/:name/subnet/:netuid/block/:block/neurons`, { answer: 'neurons', identity: true }],
  [
    `${API_PREFIX}/identity/:name/subnet/:netuid/block/:block/validators`,
    { answer: 'validators', identity: true },
  ],
]);

type Params = Partial<Record<'netuid' | 'block' | 'name', string>>;
type ReadTokens = Pick<IdentitiesService, 'grantsRead' | 'grantsIdentity' | 'get'>;
type FreshAnswers = Pick<NeuronsCache, 'fresh'>;

function granted(
  request: FastifyRequest,
  route: CachedRoute,
  params: Params,
  identities: ReadTokens,
): boolean {
  const token = bearerOf(request);
  if (token === undefined) return false;
  if (!route.identity) return identities.grantsRead(token);
  const identity = identities.get(params.name ?? '');
  return identity !== undefined && identities.grantsIdentity(identity, token);
}

function validTimeout(header: string | string[] | undefined): boolean {
  try {
    requestTimeoutMs(header, 1);
    return true;
  } catch {
    return false;
  }
}

/** The bytes of a fresh cached answer the request may have, or undefined when the controller must decide. */
function cachedAnswer(
  request: FastifyRequest,
  cache: FreshAnswers,
  identities: ReadTokens,
): { body: Buffer; ageBlocks: number } | undefined {
  if (request.method !== 'GET') return undefined;
  const route = cachedRoutes.get(request.routeOptions.url ?? '');
  if (!route) return undefined;
  const params = request.params as Params;
  const block = params.block;
  if ((block !== 'latest' && block !== 'recent') || !/^\d{1,5}$/.test(params.netuid ?? '')) return undefined;
  if (!validTimeout(request.headers[TIMEOUT_HEADER]) || !granted(request, route, params, identities))
    return undefined;
  const answer = cache.fresh(Number(params.netuid), block);
  if (!answer) return undefined;
  return {
    body: route.answer === 'neurons' ? answer.view.neuronsBody : answer.view.validatorsBody,
    ageBlocks: answer.staleness.ageBlocks,
  };
}

/**
 * The common read, a `latest` or `recent` metagraph that memory holds within the soft staleness limit for a token
 * that may have it, answered in an onRequest hook with the bytes serialized when the block was cached: it skips
 * Nest's pipeline, which costs several times the bare send. Whatever the hook does not answer (another block, an
 * answer past the soft limit, no or a wrong token, a bad header, an unknown subnet) goes on to MetagraphController,
 * which gives the same answers and every error. The runtime's hooks (metrics, correlation id) have run by then.
 */
export function registerCachedReads(
  fastify: FastifyInstance,
  cache: FreshAnswers,
  identities: ReadTokens,
): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const answer = cachedAnswer(request, cache, identities);
    if (!answer) {
      done();
      return;
    }
    void reply
      .header('content-type', 'application/json; charset=utf-8')
      .header(CACHE_AGE_HEADER, String(answer.ageBlocks))
      .send(answer.body);
  });
}
