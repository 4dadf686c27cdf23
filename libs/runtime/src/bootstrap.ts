import 'reflect-metadata';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { relative } from 'node:path';
import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError, httpLimitDefaults, type LogLevel, loadConfig } from '@vstack/config';
import {
  CORRELATION_HEADER,
  createLogger,
  type Logger,
  newCorrelationId,
  redactUrl,
  ServiceMetrics,
  withCorrelationId,
} from '@vstack/observability';
import type { z } from 'zod';
import { CommandUsageError, runServiceCommand, type ServiceCommand } from './commands';
import { AlreadyReportedError, RequestErrorCode } from './errors';
import { toErrorResponse } from './exception.filter';
import { NestPinoLogger } from './nest-logger';
import { ReadinessRegistry } from './readiness.registry';
import { ServiceCoreModule } from './service-core.module';

/** The variables the runtime itself reads from every service's config. */
export interface BaseServiceConfig {
  HOST: string;
  PORT: number;
  LOG_LEVEL: LogLevel;
  LOG_FORMAT: 'auto' | 'json' | 'pretty';
  METRICS_TOKEN?: string | undefined;
  SHUTDOWN_TIMEOUT_MS: number;
  REDIS_URL?: string;
  REDIS_PREFIX?: string;
  HTTP_BODY_LIMIT_BYTES?: number | undefined;
  HTTP_MAX_HEADER_BYTES?: number;
  HTTP_HEADERS_TIMEOUT_MS?: number;
  HTTP_REQUEST_TIMEOUT_MS?: number;
  HTTP_IDLE_TIMEOUT_MS?: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;
  HTTP_MAX_CONNECTIONS?: number;
}

/** How a service is assembled: its config schema, its root module and what its readiness depends on. */
export interface ServiceDefinition<S extends z.ZodObject> {
  service: string;
  schema: S;
  /** The service's own module, built from its validated config. */
  module(config: z.output<S> & BaseServiceConfig, logger: Logger): Type | DynamicModule;
  /** Ping REDIS_URL in /health/ready. */
  usesRedis?: boolean;
  /**
   * Answer RPC and hear events on the Redis transport (REDIS_URL, channels under REDIS_PREFIX): the module's
   * `@RpcHandler` and `@EventHandler` methods. Needs both variables in the config.
   */
  rpc?: boolean;
  /** What `node main.js migrate` does; services without a database leave it out. */
  migrate?(config: z.output<S> & BaseServiceConfig, logger: Logger): Promise<void>;
  /** More commands, `node main.js <name> [arguments]`, beside `migrate` and `help`. */
  commands?: Readonly<Record<string, ServiceCommand<z.output<S> & BaseServiceConfig>>>;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Keep each request's body bytes as `request.rawBody` (Epistula signs the bytes as sent). */
  rawBody?: boolean;
}

/** A running service: the Nest app, its logger, and the function that stops everything it opened. */
export interface ServiceHandle {
  app: INestApplication;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Starts the RPC listener (when the service has one), then the HTTP server. */
  listen(port: number, host: string): Promise<void>;
  close(): Promise<void>;
}

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

function correlationIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && correlationIdPattern.test(value) ? value : newCorrelationId();
}

interface HttpLimits {
  bodyLimit: number;
  maxHeaderSize: number;
  headersTimeout: number;
  requestTimeout: number;
  idleTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
}

function httpLimits(definition: { bodyLimitBytes?: number }, config: BaseServiceConfig): HttpLimits {
  const requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS ?? httpLimitDefaults.requestTimeoutMs;
  return {
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES ?? definition.bodyLimitBytes ?? 1024 * 1024,
    maxHeaderSize: config.HTTP_MAX_HEADER_BYTES ?? httpLimitDefaults.maxHeaderBytes,
    // Node refuses a headers timeout longer than the request timeout.
    headersTimeout: Math.min(
      config.HTTP_HEADERS_TIMEOUT_MS ?? httpLimitDefaults.headersTimeoutMs,
      requestTimeout,
    ),
    requestTimeout,
    idleTimeout: config.HTTP_IDLE_TIMEOUT_MS ?? httpLimitDefaults.idleTimeoutMs,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? httpLimitDefaults.keepAliveTimeoutMs,
    maxConnections: config.HTTP_MAX_CONNECTIONS ?? httpLimitDefaults.maxConnections,
  };
}

const clientErrors: Record<string, { status: number; code: RequestErrorCode; message: string } | undefined> =
  {
    HPE_HEADER_OVERFLOW: {
      status: 431,
      code: RequestErrorCode.HeadersTooLarge,
      message: 'the request line and headers are larger than this server accepts',
    },
    ERR_HTTP_REQUEST_TIMEOUT: {
      status: 408,
      code: RequestErrorCode.RequestTimeout,
      message: 'the request did not arrive in time',
    },
  };

type ClientSocket = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/** Sockets already answered by refuseUnreadableRequest: Node reports each later chunk of their request again. */
const refusedSockets = new WeakSet<Socket>();

/** How long a refused client may go on sending before its connection is cut. */
const REFUSAL_LINGER_MS = 2_000;

/**
 * Answers requests Node could not parse (headers too large, a request too slow, bad HTTP) before any route sees
 * them, with the same JSON error body as every other refusal, then closes the connection.
 */
function refuseUnreadableRequest(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: ClientSocket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || refusedSockets.has(socket)) return;
  refusedSockets.add(socket);
  // A response already under way cannot be replaced by another.
  if (!socket.writable || socket._httpMessage?.headersSent === true) {
    socket.destroy();
    return;
  }
  const known = clientErrors[error.code ?? ''] ?? {
    status: 400,
    code: RequestErrorCode.BadHttpRequest,
    message: 'the request is not valid HTTP',
  };
  // An answer to HEAD has no body; the bytes Node could not parse say which method was asked for.
  const head =
    Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  const body = head ? '' : JSON.stringify({ error: { code: known.code, message: known.message } });
  socket.end(
    `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status] ?? 'Error'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
  // Closing while the client still sends would reset the connection before it reads the answer: drop what
  // arrives for a moment, then cut the connection.
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

/** Answers URLs the router cannot take (bad percent-encoding, a parameter over maxParamLength) like any refusal. */
function refuseUnroutableRequest(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const [status, code, message] =
    error.code === 'FST_ERR_BAD_URL'
      ? [400, RequestErrorCode.InvalidUrl, 'the URL is not valid: check its percent-encoding']
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? [414, RequestErrorCode.UrlTooLong, 'a part of the URL is longer than this server accepts']
        : [500, RequestErrorCode.Internal, 'internal error'];
  void reply.code(status).send({ error: { code, message } });
}

/** Fastify's own error body, `{ statusCode, code, error, message }`, as `{ error: { code, message } }`. */
function asErrorBody(payload: unknown, logger: Logger): unknown {
  if (typeof payload !== 'string' || !payload.startsWith('{"statusCode":')) return payload;
  let parsed: { statusCode?: unknown; code?: unknown; message?: unknown };
  try {
    parsed = JSON.parse(payload) as typeof parsed;
  } catch {
    return payload;
  }
  if (typeof parsed.statusCode !== 'number' || typeof parsed.message !== 'string') return payload;
  const error = Object.assign(new Error(parsed.message), {
    statusCode: parsed.statusCode,
    code: parsed.code,
  });
  const { body, unexpected } = toErrorResponse(error);
  if (unexpected) logger.error({ code: parsed.code, status: parsed.statusCode }, 'unhandled error');
  return JSON.stringify(body);
}

/** Builds the Nest app on Fastify with metrics, correlation ids, health and the error filter, without listening. */
export async function createServiceApp<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  config: z.output<S> & BaseServiceConfig,
  logger: Logger,
): Promise<ServiceHandle> {
  const metrics = new ServiceMetrics(definition.service);
  const limits = httpLimits(definition, config);
  const adapter = new FastifyAdapter({
    bodyLimit: limits.bodyLimit,
    http: {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeout,
      // Node checks the headers and request timeouts on this beat; its 30 s default would let slow clients stay.
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeout),
      // Node refuses a request without Host with an empty 400; the onRequest hook refuses it in JSON instead.
      requireHostHeader: false,
    },
    requestTimeout: limits.requestTimeout,
    connectionTimeout: limits.idleTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    clientErrorHandler: refuseUnreadableRequest,
    frameworkErrors: refuseUnroutableRequest,
    genReqId: (request: IncomingMessage) => correlationIdFrom(request.headers[CORRELATION_HEADER]),
  });
  const fastify = adapter.getInstance();
  // Nest maps the errors of its routes; what Fastify refuses outside them (a Content-Type it cannot read on an
  // unknown path, in a plugin's own scope) leaves in Fastify's shape, rewritten here to the same body.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    done(null, reply.statusCode >= 400 ? asErrorBody(payload, logger) : payload);
  });
  fastify.server.maxConnections = limits.maxConnections > 0 ? limits.maxConnections : Infinity;
  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const finish = metrics.startHttpRequest(request.method, route);
    reply.raw.once('close', () => {
      finish(reply.statusCode);
    });
    void reply.header(CORRELATION_HEADER, request.id);
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      void reply.code(400).send({
        error: { code: RequestErrorCode.BadHttpRequest, message: 'an HTTP/1.1 request needs a Host header' },
      });
      return;
    }
    withCorrelationId(request.id, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      status,
      ms: Math.round(reply.elapsedTime),
    };
    if (status >= 500) logger.error(line, 'request failed');
    else if (status >= 400) logger.info(line, 'request refused');
    else logger.debug(line, 'request');
    done();
  });

  const core = ServiceCoreModule.forRoot({ service: definition.service, config, logger, metrics });
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: class ServiceRootModule {}, imports: [core, definition.module(config, logger)] },
    adapter,
    { logger: new NestPinoLogger(logger), abortOnError: false, rawBody: definition.rawBody ?? false },
  );

  if (definition.rpc) {
    if (!config.REDIS_URL || !config.REDIS_PREFIX) {
      throw new Error(`${definition.service} answers RPC: its config needs REDIS_URL and REDIS_PREFIX`);
    }
    // Loaded here, not at the top: services without RPC (the devnet) start without the microservices packages.
    const { createRpcMicroserviceOptions } = await import('@vstack/contracts');
    // A separate ApplicationConfig: the HTTP error filter and pipes do not apply to RPC handlers.
    app.connectMicroservice(
      createRpcMicroserviceOptions(config.REDIS_URL, config.REDIS_PREFIX, {
        connectionName: `vstack-${definition.service}-rpc`,
      }),
    );
  }
  const closers: (() => Promise<void>)[] = [];
  if (definition.usesRedis && config.REDIS_URL) {
    const { redisReadinessCheck } = await import('./redis-readiness');
    const redis = redisReadinessCheck(config.REDIS_URL);
    app.get(ReadinessRegistry).add(redis.check);
    closers.push(redis.close);
  }
  return {
    app,
    logger,
    metrics,
    async listen(port, host) {
      await app.startAllMicroservices();
      await app.listen(port, host);
    },
    async close() {
      await app.close();
      for (const close of closers) await close();
    },
  };
}

function loadOrExit<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
): z.output<S> & BaseServiceConfig {
  try {
    return loadConfig(definition.service, definition.schema) as z.output<S> & BaseServiceConfig;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** `migrate`: the service's migrations, or a note that it keeps no records. */
function migrateCommand<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
): ServiceCommand<z.output<S> & BaseServiceConfig> {
  return {
    summary: 'run the pending database migrations, then exit',
    async run(args, { config, logger }) {
      if (args.length > 0) throw new CommandUsageError('migrate takes no arguments');
      if (!definition.migrate) {
        logger.info('this service keeps no records: nothing to migrate');
        return;
      }
      try {
        await definition.migrate(config, logger);
      } catch (error) {
        if (error instanceof AlreadyReportedError) throw error;
        logger.fatal(
          { err: error },
          `migrations failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw new AlreadyReportedError(error instanceof Error ? error : new Error(String(error)));
      }
      logger.info('migrations done');
    },
  };
}

/**
 * The whole life of a service process: validate the environment (exit 78 naming every problem), run the command
 * given (`migrate`, `help` or one of the service's `commands`; see runServiceCommand for exit statuses), else
 * listen, and stop gracefully on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS.
 */
export async function runService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const config = loadOrExit(definition);
  const logger = createLogger({
    service: definition.service,
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
  });
  if (argv.length > 0) {
    const status = await runServiceCommand(
      { migrate: migrateCommand(definition), ...definition.commands },
      argv,
      {
        service: definition.service,
        program: `node ${relative(process.cwd(), process.argv[1] ?? 'main.js') || 'main.js'}`,
        config,
        logger,
        out: process.stdout,
        err: process.stderr,
      },
    );
    if (status !== 0) process.exit(status);
    return;
  }

  const handle = await createServiceApp(definition, config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const forced = setTimeout(() => {
      logger.error(`still stopping after ${config.SHUTDOWN_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    forced.unref();
    handle.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.once('SIGINT', () => {
    stop('SIGINT');
  });

  await handle.listen(config.PORT, config.HOST);
  logger.info(
    { host: config.HOST, port: config.PORT },
    `${definition.service} listening on http://${config.HOST}:${config.PORT}`,
  );
}
