import { connect } from 'node:net';
import { type PrivateService, startEmbeddedPostgres, startPrivateRedis } from '@vstack/local-infra';

/** Where the integration tests' Redis and Postgres are, and how to stop whatever was started for them. */
export interface TestServices {
  redisUrl: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

/** True when something accepts TCP connections at host:port within the timeout. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolvePromise(result);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

/** What resolving the services looks at and starts; replaceable so the order can be tested on any machine. */
export interface TestServiceSources {
  env: Readonly<Record<string, string | undefined>>;
  isListening(host: string, port: number): Promise<boolean>;
  startRedis(): Promise<PrivateService>;
  startPostgres(): Promise<PrivateService>;
  announce(message: string): void;
}

export const localRedisUrl = 'redis://127.0.0.1:6379';
export const localDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

const hostSources: TestServiceSources = {
  env: process.env,
  isListening: (host, port) => isListening(host, port),
  startRedis: () => startPrivateRedis(),
  startPostgres: () => startEmbeddedPostgres(),
  announce: (message) => {
    process.stderr.write(`${message}\n`);
  },
};

interface ServiceChoice {
  variable: string;
  label: string;
  port: number;
  localUrl: string;
  start(): Promise<PrivateService>;
}

/**
 * Finds Redis and Postgres for integration tests: REDIS_URL / DATABASE_URL when set, else the local services on
 * 127.0.0.1:6379 and 127.0.0.1:5432, else private ones it starts (redis-server, embedded PGlite).
 * `stop()` stops only what was started here.
 */
export async function resolveTestServices(
  overrides: Partial<TestServiceSources> = {},
): Promise<TestServices> {
  const sources = { ...hostSources, ...overrides };
  const started: PrivateService[] = [];
  const stop = async () => {
    for (const service of started.splice(0).reverse()) await service.stop();
  };

  const resolveOne = async (choice: ServiceChoice): Promise<string> => {
    const fromEnv = sources.env[choice.variable];
    if (fromEnv) return fromEnv;
    if (await sources.isListening('127.0.0.1', choice.port)) return choice.localUrl;
    const service = await choice.start();
    started.push(service);
    sources.announce(
      `${choice.variable} is unset and nothing listens on 127.0.0.1:${choice.port}; ` +
        `started a private ${choice.label} at ${service.url} for the tests.`,
    );
    return service.url;
  };

  try {
    const redisUrl = await resolveOne({
      variable: 'REDIS_URL',
      label: 'redis-server',
      port: 6379,
      localUrl: localRedisUrl,
      start: sources.startRedis,
    });
    const databaseUrl = await resolveOne({
      variable: 'DATABASE_URL',
      label: 'PostgreSQL (PGlite)',
      port: 5432,
      localUrl: localDatabaseUrl,
      start: sources.startPostgres,
    });
    return { redisUrl, databaseUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
