import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  startApp,
  type StartAppOptions,
  uniqueTestName,
} from '@vstack/testing';
import { inject } from 'vitest';
import { ADMIN_TOKEN, METRICS_TOKEN, WEBHOOK_SECRET } from './harness';

/** The built gateway (dist/apps/gateway/main.js) as a child process, on its own schema and Redis prefix. */
export interface GatewayProcess {
  url: string;
  port: number;
  app: RunningApp;
  /** Stops the process, then removes its schema and Redis keys. */
  stop(): Promise<void>;
}

/** Starts the built gateway, migrating its own schema at start; `env` adds or replaces variables. */
export async function startGatewayProcess(
  label: string,
  env: Record<string, string | undefined> = {},
  options: Pick<StartAppOptions, 'onOutput'> = {},
): Promise<GatewayProcess> {
  const databaseUrl = inject('databaseUrl');
  const redisUrl = inject('redisUrl');
  const schema = await createTestSchema(databaseUrl, label);
  const prefix = uniqueTestName(label);
  let app: RunningApp;
  try {
    app = await startApp('gateway', {
      ...options,
      timeoutMs: 40_000,
      env: {
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema.schema,
        DATABASE_MIGRATE_ON_START: 'true',
        DATABASE_POOL_SIZE: '4',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
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
    port: app.port,
    app,
    stop: async () => {
      await app.stop();
      await schema.drop();
      await deleteRedisKeysWithPrefix(redisUrl, prefix);
    },
  };
}
