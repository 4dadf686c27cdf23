import { loadHotkey } from '@vstack/chain';
import { signEpistulaRequest } from '@vstack/epistula';
import {
  buildApp,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  startApp,
  uniqueTestName,
} from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The validator side signs with //Alice; the proxy (hotkey //Dave) checks her against the devnet's metagraph and
// forwards to the demo miner.
describe('miner-proxy end to end: devnet, demo miner, proxy', () => {
  const prefix = uniqueTestName('miner_proxy_e2e');
  const running: RunningApp[] = [];
  let proxyUrl: string;

  beforeAll(async () => {
    for (const name of ['devnet', 'demo-miner', 'miner-proxy']) buildApp(name);
    const devnet = await startApp('devnet', { env: { DEVNET_BLOCK_TIME_MS: '0' } });
    running.push(devnet);
    const miner = await startApp('demo-miner');
    running.push(miner);
    const proxy = await startApp('miner-proxy', {
      env: {
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        MINER_HOTKEY: '//Dave',
        NETUID: '1',
        SUBTENSOR_URL: `ws://127.0.0.1:${devnet.port}`,
        INFERENCE_SERVER_URL: `http://127.0.0.1:${miner.port}`,
        RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
      },
      ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
    });
    running.push(proxy);
    proxyUrl = `http://127.0.0.1:${proxy.port}`;
  }, 180_000);

  afterAll(async () => {
    for (const app of running.reverse()) await app.stop();
    await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
  });

  it("forwards //Alice's signed task to the demo miner and returns its answer", async () => {
    const [alice, dave] = await Promise.all([
      loadHotkey({ kind: 'uri', uri: '//Alice' }),
      loadHotkey({ kind: 'uri', uri: '//Dave' }),
    ]);
    const body = JSON.stringify({ operation: 'add', a: '99999999999999999999', b: '1' });
    const { headers } = signEpistulaRequest(alice, body, { signedFor: dave.address });
    const response = await fetch(`${proxyUrl}/tasks/arithmetic`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: '100000000000000000000' });
  });

  it('refuses a hotkey the devnet does not know with 401', async () => {
    const [stranger, dave] = await Promise.all([
      loadHotkey({ kind: 'uri', uri: '//Stranger' }),
      loadHotkey({ kind: 'uri', uri: '//Dave' }),
    ]);
    const body = JSON.stringify({ operation: 'add', a: '1', b: '1' });
    const { headers } = signEpistulaRequest(stranger, body, { signedFor: dave.address });
    const response = await fetch(`${proxyUrl}/tasks/arithmetic`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'epistula_unknown_signer' } });
  });
});
