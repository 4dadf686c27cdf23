import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import {
  apiErrorSchema,
  apiPaths,
  blockSchema,
  CACHE_AGE_HEADER,
  identitiesResponseSchema,
  MAX_TIMEOUT_MS,
  neuronsResponseSchema,
  putWeightsResponseSchema,
  TIMEOUT_HEADER,
  validatorsResponseSchema,
  WARNING_HEADER,
  weightsHistoryResponseSchema,
  type Block,
  type BlockSelector,
  type IdentitiesResponse,
  type NeuronsResponse,
  type PutWeightsRequest,
  type PutWeightsResponse,
  type ValidatorsResponse,
  type WeightsHistoryResponse,
} from './api';
import {
  SidecarClientError,
  SidecarClientErrorCode,
  sidecarErrorForStatus,
  SidecarNetworkError,
  SidecarResponseError,
  SidecarTimeoutError,
} from './errors';

/** The part of `fetch` the client uses; the global `fetch` (undici) by default. */
export type SidecarFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface SidecarRetryOptions {
  /** Tries per call, the first one included (default 3). */
  attempts?: number;
  /** Delay before the second try (default 200 ms); it doubles for each further try. */
  backoffMs?: number;
  /** Upper bound of the delay between two tries (default 5000 ms). */
  maxBackoffMs?: number;
}

/** What `onWarning` receives when the sidecar serves an answer past its soft staleness limit. */
export interface SidecarWarning {
  /** The `warning` header as sent. */
  warning: string;
  method: string;
  path: string;
  cacheAgeBlocks: number | undefined;
}

export interface SidecarClientOptions {
  /** The sidecar's base URL, without `/api/v1` (e.g. `http://127.0.0.1:8000`). */
  baseUrl: string | URL;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Timeout of one try in ms (default 10000); also sent as `x-timeout-ms`, capped at 300000. */
  timeoutMs?: number;
  retries?: SidecarRetryOptions;
  fetch?: SidecarFetch;
  /** Waits between tries; rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Source of the backoff jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Called for every answer that carries a `warning` header (stale, but still served). */
  onWarning?: (warning: SidecarWarning) => void;
}

/** Options of one call. */
export interface SidecarRequestOptions {
  /** Aborts the call, retries and backoff included; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the client's per-try timeout for this call. */
  timeoutMs?: number;
}

/** Freshness of a metagraph answer, from its response headers. */
export interface SidecarResponseMeta {
  /** How many blocks the answer trails the chain head by (`x-cache-age-blocks`). */
  cacheAgeBlocks: number | undefined;
  /** The `warning` header: set when the answer is past the soft staleness limit. */
  warning: string | undefined;
}

export type WithMeta<T> = T & { meta: SidecarResponseMeta };

type HttpMethod = 'GET' | 'PUT';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 200;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/** A typed client of the sidecar's REST API with timeouts, retries and typed errors. */
export class SidecarClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fetchImpl: SidecarFetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly onWarning: ((warning: SidecarWarning) => void) | undefined;

  constructor(options: SidecarClientOptions) {
    this.baseUrl = new URL(String(options.baseUrl)).href.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.attempts = options.retries?.attempts ?? DEFAULT_ATTEMPTS;
    this.backoffMs = options.retries?.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.maxBackoffMs = options.retries?.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) {
      throw new RangeError(`retries.attempts must be an integer of at least 1, got ${this.attempts}`);
    }
    if (!(this.backoffMs >= 0) || !(this.maxBackoffMs >= 0)) {
      throw new RangeError('retries.backoffMs and retries.maxBackoffMs must be at least 0');
    }
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.sleep = options.sleep ?? sleepUnlessAborted;
    this.random = options.random ?? Math.random;
    this.onWarning = options.onWarning;
  }

  /** The chain head as the sidecar sees it. */
  async latestBlock(options?: SidecarRequestOptions): Promise<Block> {
    const { body } = await this.request('GET', apiPaths.latestBlock(), blockSchema, undefined, options);
    return body;
  }

  /** The subnet's neurons by hotkey at a block (default the head), with the answer's freshness. */
  async neurons(
    netuid: number,
    block: BlockSelector = 'latest',
    options?: SidecarRequestOptions,
  ): Promise<WithMeta<NeuronsResponse>> {
    const { body, meta } = await this.request(
      'GET',
      apiPaths.neurons(netuid, block),
      neuronsResponseSchema,
      undefined,
      options,
    );
    return { ...body, meta };
  }

  /** The subnet's validator permit holders at a block (default the head), largest stake first. */
  async validators(
    netuid: number,
    block: number | 'latest' = 'latest',
    options?: SidecarRequestOptions,
  ): Promise<WithMeta<ValidatorsResponse>> {
    const { body, meta } = await this.request(
      'GET',
      apiPaths.validators(netuid, block),
      validatorsResponseSchema,
      undefined,
      options,
    );
    return { ...body, meta };
  }

  /** The identities (named hotkeys) the sidecar sets weights for. */
  async identities(options?: SidecarRequestOptions): Promise<IdentitiesResponse> {
    const { body } = await this.request(
      'GET',
      apiPaths.identities(),
      identitiesResponseSchema,
      undefined,
      options,
    );
    return body;
  }

  /** Schedules a weights update for an identity on a subnet; weights by hotkey, normalised by the sidecar. */
  async putWeights(
    identity: string,
    netuid: number,
    weights: PutWeightsRequest['weights'],
    options?: SidecarRequestOptions,
  ): Promise<PutWeightsResponse> {
    const request: PutWeightsRequest = { weights };
    const { body } = await this.request(
      'PUT',
      apiPaths.weights(identity, netuid),
      putWeightsResponseSchema,
      request,
      options,
    );
    return body;
  }

  /** The identity's weights jobs on a subnet, newest first. */
  async weightsHistory(
    identity: string,
    netuid: number,
    options?: SidecarRequestOptions,
  ): Promise<WeightsHistoryResponse> {
    const { body } = await this.request(
      'GET',
      apiPaths.weightsHistory(identity, netuid),
      weightsHistoryResponseSchema,
      undefined,
      options,
    );
    return body;
  }

  private async request<T>(
    method: HttpMethod,
    path: string,
    schema: z.ZodType<T>,
    body: unknown,
    options: SidecarRequestOptions = {},
  ): Promise<{ body: T; meta: SidecarResponseMeta }> {
    const { signal } = options;
    const timeoutMs = checkTimeout(options.timeoutMs ?? this.timeoutMs);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const result = await this.attempt(method, path, schema, body, timeoutMs, signal);
        if (result.meta.warning !== undefined) {
          this.onWarning?.({
            warning: result.meta.warning,
            method,
            path,
            cacheAgeBlocks: result.meta.cacheAgeBlocks,
          });
        }
        return result;
      } catch (error) {
        if (!(error instanceof SidecarClientError) || !error.retryable || attempt >= this.attempts)
          throw error;
      }
      await this.sleep(this.backoffDelay(attempt), signal);
    }
  }

  /** Between half and all of backoffMs · 2^(attempt - 1), capped at maxBackoffMs. */
  private backoffDelay(attempt: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private async attempt<T>(
    method: HttpMethod,
    path: string,
    schema: z.ZodType<T>,
    body: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ body: T; meta: SidecarResponseMeta }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [TIMEOUT_HEADER]: String(Math.min(Math.ceil(timeoutMs), MAX_TIMEOUT_MS)),
    };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';

    const controller = new AbortController();
    // Whichever aborts first sets the reason: this one (the timeout) or the caller's.
    const timeoutReason = new Error(`timed out after ${timeoutMs} ms`);
    const timer = setTimeout(() => {
      controller.abort(timeoutReason);
    }, timeoutMs);
    const forwardAbort = (): void => {
      controller.abort(signal?.reason);
    };
    signal?.addEventListener('abort', forwardAbort, { once: true });

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      // The timeout covers the body too: a sidecar that stalls mid-answer is as slow as one that never answers.
      text = await response.text();
    } catch (error) {
      if (controller.signal.reason === timeoutReason) {
        throw new SidecarTimeoutError({
          status: undefined,
          code: SidecarClientErrorCode.ClientTimeout,
          message: `${method} ${path}: no answer within ${timeoutMs} ms`,
          retryable: true,
          cause: error,
        });
      }
      signal?.throwIfAborted();
      throw new SidecarNetworkError({
        status: undefined,
        code: SidecarClientErrorCode.Network,
        message: `${method} ${path}: ${describeFailure(error)}`,
        retryable: true,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forwardAbort);
    }

    if (!response.ok) throw errorFromResponse(method, path, response.status, text);
    return {
      body: parseBody(method, path, response.status, text, schema),
      meta: {
        cacheAgeBlocks: parseCacheAge(response.headers.get(CACHE_AGE_HEADER)),
        warning: response.headers.get(WARNING_HEADER) ?? undefined,
      },
    };
  }
}

function checkTimeout(timeoutMs: number): number {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(`timeoutMs must be a positive number of ms, got ${timeoutMs}`);
  }
  return timeoutMs;
}

async function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    // Reject with the signal's own reason, as an abort during a try does.
    signal?.throwIfAborted();
    throw error;
  }
}

function errorFromResponse(
  method: HttpMethod,
  path: string,
  status: number,
  text: string,
): SidecarClientError {
  const parsed = apiErrorSchema.safeParse(parseJson(text));
  if (parsed.success) {
    const { code, message } = parsed.data.error;
    return sidecarErrorForStatus(status, code, `${method} ${path}: ${status} ${code}: ${message}`);
  }
  const excerpt = text.trim().slice(0, 200);
  return sidecarErrorForStatus(
    status,
    SidecarClientErrorCode.HttpError,
    `${method} ${path}: ${status}${excerpt === '' ? '' : `: ${excerpt}`}`,
  );
}

function parseBody<T>(
  method: HttpMethod,
  path: string,
  status: number,
  text: string,
  schema: z.ZodType<T>,
): T {
  const json = parseJson(text);
  if (json === undefined) {
    return invalidResponse(method, path, status, 'the body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return invalidResponse(
      method,
      path,
      status,
      `the body does not match the API schema: ${issues}`,
      parsed.error,
    );
  }
  return parsed.data;
}

function invalidResponse(
  method: HttpMethod,
  path: string,
  status: number,
  why: string,
  cause?: unknown,
): never {
  throw new SidecarResponseError({
    status,
    code: SidecarClientErrorCode.InvalidResponse,
    message: `${method} ${path}: ${status}, but ${why}`,
    retryable: false,
    cause,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseCacheAge(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header);
}

/** The useful part of a fetch failure: undici puts the system error (ECONNREFUSED...) in `cause`. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    const detail = cause.message === '' ? code : cause.message;
    if (detail !== undefined && detail !== '') return `${error.message} (${detail})`;
  }
  return error.message;
}
