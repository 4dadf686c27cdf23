import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  type RunningDevnet,
  startApp,
  uniqueTestName,
} from '@vstack/testing';
import { inject } from 'vitest';

// The built sidecar as a child process of a test file, with its own Postgres schema and Redis prefix.

export const OPEN_TOKEN = 'open-access-token-for-tests';
export const ALICE_TOKEN = 'alice-identity-token-for-tests';
export const METRICS_TOKEN = 'metrics-token-for-the-tests';
export const ALICE_HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

export interface RunningSidecar {
  url: string;
  /** REDIS_PREFIX: its RPC channels and cache keys. */
  prefix: string;
  app: RunningApp;
  /** Stops the process and removes its schema and Redis keys. */
  stop(): Promise<void>;
}

/** Starts dist/apps/sidecar/main.js against `devnet` with //Alice as identity "alice" on netuid 1. */
export async function startSidecar(
  label: string,
  devnet: Pick<RunningDevnet, 'url'>,
  env: Record<string, string | undefined> = {},
  options: { ready?: (port: number) => Promise<boolean> } = {},
): Promise<RunningSidecar> {
  const redisUrl = inject('redisUrl');
  const databaseUrl = inject('databaseUrl');
  const prefix = uniqueTestName(label);
  const schema = await createTestSchema(databaseUrl, label);
  let app: RunningApp;
  try {
    app = await startApp('sidecar', {
      timeoutMs: 40_000,
      ...(options.ready ? { ready: options.ready } : {}),
      env: {
        SUBTENSOR_URL: devnet.url,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema.schema,
        DATABASE_MIGRATE_ON_START: 'true',
        SIDECAR_IDENTITIES: JSON.stringify([
          { name: 'alice', netuid: 1, token: ALICE_TOKEN, hotkey: '//Alice' },
        ]),
        SIDECAR_OPEN_ACCESS_TOKEN: OPEN_TOKEN,
        METRICS_TOKEN,
        ...env,
      },
    });
  } catch (error) {
    await schema.drop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${app.port}`,
    prefix,
    app,
    stop: async () => {
      await app.stop();
      await schema.drop();
      await deleteRedisKeysWithPrefix(redisUrl, prefix);
    },
  };
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** GET a sidecar path with a bearer token (and more headers), the body parsed as JSON. */
export async function get<T = unknown>(
  sidecar: Pick<RunningSidecar, 'url'>,
  path: string,
  options: { token?: string | undefined; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const token = 'token' in options ? options.token : OPEN_TOKEN;
  const response = await fetch(`${sidecar.url}${path}`, {
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...options.headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

/** A dev JSON-RPC call to the devnet over HTTP POST. */
export async function devnetCall<T = unknown>(
  devnet: Pick<RunningDevnet, 'port'>,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${devnet.port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await response.json()) as { result?: T; error?: { message: string } };
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result as T;
}

/** The value of a metric sample in the Prometheus exposition, found by name and labels (0 when absent). */
export async function metricValue(
  sidecar: Pick<RunningSidecar, 'url'>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(`${sidecar.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await response.text();
  const pairs = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (entry) =>
        (entry.startsWith(`${name}{`) || entry.startsWith(`${name} `)) &&
        pairs.every((pair) => entry.includes(pair)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
