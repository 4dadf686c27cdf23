import { loadHotkey } from '@vstack/chain';
import { signEpistulaRequest, verifyEpistulaResponse } from '@vstack/epistula';
import { uniqueTestName } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ProxyStack, startProxyStack } from './support/proxy-stack';

// The validator side signs with //Alice; the proxy (hotkey //Dave) checks her against the devnet's metagraph,
// forwards to the demo miner and signs its answer. The apps are built by test/global-setup.ts.
describe('miner-proxy end to end: devnet, demo miner, proxy', () => {
  const prefix = uniqueTestName('miner_proxy_e2e');
  let stack: ProxyStack | undefined;
  let proxyUrl: string;

  beforeAll(async () => {
    stack = await startProxyStack(inject('redisUrl'), prefix);
    proxyUrl = (await stack.startProxy({ SIGN_RESPONSES: 'true' })).url;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
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
