import { loadHotkey } from '@vstack/chain';
import { signEpistulaRequest, verifyEpistulaResponse } from '@vstack/epistula';
import { deleteRedisKeysWithPrefix, type RunningApp, startApp, uniqueTestName } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The validator side signs with //Alice; the proxy (hotkey //Dave) checks her against the devnet's metagraph,
// forwards to the demo miner and signs its answer. The apps are built by test/global-setup.ts.
describe('miner-proxy end to end: devnet, demo miner, proxy', () => {
  const prefix = uniqueTestName('miner_proxy_e2e');
  const running: RunningApp[] = [];
  let proxyUrl: string;

  beforeAll(async () => {
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
        SIGN_RESPONSES: 'true',
      },
      ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
    });
    running.push(proxy);
    proxyUrl = `http://127.0.0.1:${proxy.port}`;
  }, 120_000);

  afterAll(async () => {
    for (const app of running.reverse()) await app.stop();
    await deleteRedisKeysWithPrefix(inject('redisUrl'), prefix);
  });

  it("forwards //Alice's signed task to the demo miner and returns its answer, signed by //Dave", async () => {
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
    const answer = new Uint8Array(await response.arrayBuffer());
    expect(JSON.parse(Buffer.from(answer).toString('utf8'))).toEqual({ result: '100000000000000000000' });
    const request = { uuid: headers['Epistula-Uuid'] ?? '', signedBy: alice.address };
    await expect(
      verifyEpistulaResponse(response.headers, answer, { expectedSignedBy: dave.address, request }),
    ).resolves.toMatchObject({ signedBy: dave.address });
    await expect(
      verifyEpistulaResponse(response.headers, Buffer.from('{"result":"1"}'), {
        expectedSignedBy: dave.address,
        request,
      }),
    ).rejects.toMatchObject({ code: 'epistula_bad_signature' });
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
