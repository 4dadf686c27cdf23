import { deleteRedisKeysWithPrefix, type RunningApp, startApp } from '@vstack/testing';

/** The devnet (instant seal), the demo miner and the proxies started in front of it, as built processes. */
export interface ProxyStack {
  /** Starts a miner-proxy (hotkey //Dave on netuid 1, no rate limit) with `env` on top. */
  startProxy(env?: Record<string, string>): Promise<{ url: string; port: number }>;
  /** Stops every process, last started first, and removes the proxies' Redis keys. */
  stop(): Promise<void>;
}

export async function startProxyStack(redisUrl: string, prefix: string): Promise<ProxyStack> {
  const running: RunningApp[] = [];
  const stop = async () => {
    for (const app of running.reverse()) await app.stop();
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
  };
  try {
    const devnet = await startApp('devnet', { env: { DEVNET_BLOCK_TIME_MS: '0' } });
    running.push(devnet);
    const miner = await startApp('demo-miner');
    running.push(miner);
    return {
      async startProxy(env = {}) {
        const proxy = await startApp('miner-proxy', {
          env: {
            REDIS_URL: redisUrl,
            REDIS_PREFIX: prefix,
            MINER_HOTKEY: '//Dave',
            NETUID: '1',
            SUBTENSOR_URL: `ws://127.0.0.1:${devnet.port}`,
            INFERENCE_SERVER_URL: `http://127.0.0.1:${miner.port}`,
            RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
            ...env,
          },
          ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
        });
        running.push(proxy);
        return { url: `http://127.0.0.1:${proxy.port}`, port: proxy.port };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
