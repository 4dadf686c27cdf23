import {
  ClientRedis,
  type CustomStrategy,
  type MessageHandler,
  type MsPattern,
  type ReadPacket,
  RedisContext,
  type RedisOptions,
  ServerRedis,
} from '@nestjs/microservices';
import { currentCorrelationId, newCorrelationId, withCorrelationId } from '@vstack/observability';
import type { Redis } from 'ioredis';
import { ContractError, ContractErrorCode } from './errors';

/** The options Nest's Redis transport hands to ioredis. */
export type RedisTransportOptions = NonNullable<RedisOptions['options']>;

/** Where RPC and events travel, and how the connection behaves. */
export interface RpcConnectionOptions {
  /** redis:// or rediss:// URL. */
  redisUrl: string;
  /** REDIS_PREFIX: every channel is `<prefix>:<pattern>`, so stacks sharing one Redis do not hear each other. */
  prefix: string;
  /** Shown in Redis `CLIENT LIST`, e.g. `vstack-managing-rpc`. */
  connectionName?: string;
  /** Pause between reconnect attempts after Redis goes away; 1000 ms when absent. */
  retryDelayMs?: number;
}

const prefixPattern = /^[A-Za-z0-9_-]+$/;

/** The packet metadata key that carries the caller's correlation id to the handler. */
export const CORRELATION_METADATA_KEY = 'correlationId';

/** Puts the current correlation id (if any) on an outgoing packet. */
function attachCorrelationId(packet: ReadPacket): void {
  const correlationId = currentCorrelationId();
  if (correlationId !== undefined)
    packet.metadata = { ...packet.metadata, [CORRELATION_METADATA_KEY]: correlationId };
}

/** The correlation id a packet arrived with, or a fresh one, so every handler's log lines carry one. */
function correlationIdOf(context: unknown): string {
  const metadata = context instanceof RedisContext ? context.getMetadata() : undefined;
  return metadata?.[CORRELATION_METADATA_KEY] ?? newCorrelationId();
}

/** The Redis channel a pattern travels on under a prefix; replies travel on `<channel>.reply`. */
export function channelName(prefix: string, pattern: string): string {
  return `${prefix}:${pattern}`;
}

/** Checks a key prefix; throws ContractError when it could collide with another stack's channels. */
export function assertPrefix(prefix: string): void {
  if (!prefixPattern.test(prefix)) {
    throw new ContractError(
      ContractErrorCode.InvalidOptions,
      `invalid RPC prefix "${prefix}": must be letters, digits, _ or -`,
    );
  }
}

/**
 * Translates a redis:// or rediss:// URL into the options Nest's Redis transport takes (it has no URL
 * option). Reconnects forever: a service whose Redis restarts must come back by itself.
 */
export function redisTransportOptions(options: Omit<RpcConnectionOptions, 'prefix'>): RedisTransportOptions {
  const { redisUrl } = options;
  if (!URL.canParse(redisUrl)) {
    throw new ContractError(ContractErrorCode.InvalidOptions, 'invalid Redis URL: not a URL');
  }
  const url = new URL(redisUrl);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ContractError(
      ContractErrorCode.InvalidOptions,
      `invalid Redis URL: ${url.protocol} is not redis: or rediss:`,
    );
  }
  const dbPath = url.pathname.replace(/^\//, '');
  if (dbPath !== '' && !/^\d+$/.test(dbPath)) {
    throw new ContractError(
      ContractErrorCode.InvalidOptions,
      `invalid Redis URL: database "${dbPath}" is not a number`,
    );
  }
  const transport: RedisTransportOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    retryAttempts: Number.POSITIVE_INFINITY,
    retryDelay: options.retryDelayMs ?? 1_000,
  };
  if (url.username !== '') transport.username = decodeURIComponent(url.username);
  if (url.password !== '') transport.password = decodeURIComponent(url.password);
  if (dbPath !== '') transport.db = Number(dbPath);
  if (url.protocol === 'rediss:') transport.tls = {};
  if (options.connectionName !== undefined) transport.connectionName = options.connectionName;
  return transport;
}

/**
 * Nest's Redis server with every handler's channel under a key prefix. Handlers keep declaring bare patterns
 * (`@RpcHandler('miners.select')`); the prefix is configuration, known only at start-up. Each handler runs
 * under the caller's correlation id.
 */
export class PrefixedRedisServer extends ServerRedis {
  constructor(
    readonly prefix: string,
    options: RedisTransportOptions,
  ) {
    assertPrefix(prefix);
    super(options);
    // Typed as returning void, but Nest passes the hook's result on (its default hook is `done()`), and a
    // rejection must reach Nest's error handling rather than go unhandled.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    this.setOnProcessingStartHook((_transport, context, done) =>
      withCorrelationId(correlationIdOf(context), done),
    );
  }

  override addHandler(
    pattern: MsPattern,
    callback: MessageHandler,
    isEventHandler?: boolean,
    extras?: Record<string, unknown>,
  ): void {
    super.addHandler(
      channelName(this.prefix, this.normalizePattern(pattern)),
      callback,
      isEventHandler,
      extras,
    );
  }

  // Nest reports the server as listening once SUBSCRIBE is written, not once Redis has applied it. A PING on
  // the same connection is answered only after the SUBSCRIBEs, so a request sent right after start-up is heard.
  override start(callback?: (error?: unknown) => void): void {
    super.start((error?: unknown) => {
      if (error !== undefined) {
        callback?.(error);
        return;
      }
      (this.subClient as Redis).ping().then(
        () => callback?.(),
        (pingError: unknown) => callback?.(pingError),
      );
    });
  }
}

/**
 * Nest's Redis client with every request and event channel under a key prefix, matching PrefixedRedisServer.
 * Packets carry the current correlation id.
 */
export class PrefixedRedisClient extends ClientRedis {
  constructor(
    readonly prefix: string,
    options: RedisTransportOptions,
  ) {
    assertPrefix(prefix);
    super(options);
    this.setOnDispatchHook(attachCorrelationId);
  }

  protected override normalizePattern(pattern: MsPattern): string {
    return channelName(this.prefix, super.normalizePattern(pattern));
  }
}

/**
 * Options for `app.connectMicroservice(...)` or `NestFactory.createMicroservice(...)`: the prefixed Redis
 * transport. Redis pub/sub hands every request to every subscribed process and the caller takes the first
 * answer, so a handler with side effects (quota counters) must be safe to run once per replica.
 */
export function createRpcMicroserviceOptions(
  redisUrl: string,
  prefix: string,
  options: Omit<RpcConnectionOptions, 'redisUrl' | 'prefix'> = {},
): CustomStrategy {
  return { strategy: new PrefixedRedisServer(prefix, redisTransportOptions({ ...options, redisUrl })) };
}
