import type { ReadinessCheck } from '@vstack/observability';
import { Redis } from 'ioredis';

/** A Redis PING check on its own connection, plus the function that closes that connection. */
export function redisReadinessCheck(url: string): { check: ReadinessCheck; close: () => Promise<void> } {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  client.on('error', () => {
    // Reported through the readiness check; the client reconnects by itself.
  });
  return {
    check: {
      name: 'redis',
      async check() {
        if (client.status === 'wait') await client.connect();
        await client.ping();
        return { ok: true };
      },
    },
    close: async () => {
      if (client.status !== 'end') client.disconnect();
      await Promise.resolve();
    },
  };
}
