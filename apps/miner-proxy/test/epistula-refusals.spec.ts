import type { KeyringPair } from '@polkadot/keyring/types';
import { loadHotkey } from '@vstack/chain';
import { EpistulaHeader, signEpistulaRequest, type SignEpistulaRequestOptions } from '@vstack/epistula';
import { uniqueTestName } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ProxyStack, startProxyStack } from './support/proxy-stack';

// Replayed, forged, stale and mis-addressed requests against two built proxies (hotkey //Dave) that share one
// Redis replay cache, in front of the demo miner, on the real devnet. Nothing refused reaches the miner.

const BODY = JSON.stringify({ operation: 'add', a: '20', b: '22' });

interface Answer {
  status: number;
  code: string | undefined;
}

describe('the miner proxy refuses requests it must not forward', () => {
  const prefix = uniqueTestName('miner_proxy_epistula');
  let stack: ProxyStack | undefined;
  const proxies: string[] = [];
  let alice: KeyringPair;
  let bob: KeyringPair;
  let dave: KeyringPair;
  let eve: KeyringPair;
  let stranger: KeyringPair;

  function sign(signer: KeyringPair, body = BODY, options: SignEpistulaRequestOptions = {}) {
    return signEpistulaRequest(signer, body, { signedFor: dave.address, ...options }).headers;
  }

  async function post(proxy: string, headers: Record<string, string>, body = BODY): Promise<Answer> {
    const response = await fetch(`${proxy}/tasks/arithmetic`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    const parsed = (await response.json()) as { error?: { code?: string } };
    return { status: response.status, code: parsed.error?.code };
  }

  async function forwarded(): Promise<number> {
    let total = 0;
    for (const proxy of proxies) {
      const text = await (
        await fetch(`${proxy}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-epistula' } })
      ).text();
      const line = text
        .split('\n')
        .find(
          (entry) =>
            entry.startsWith('vstack_proxy_requests_total{') && entry.includes('outcome="forwarded"'),
        );
      total += line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  beforeAll(async () => {
    const load = (uri: string) => loadHotkey({ kind: 'uri', uri });
    [alice, bob, dave, eve, stranger] = await Promise.all([
      load('//Alice'),
      load('//Bob'),
      load('//Dave'),
      load('//Eve'),
      load('//Stranger'),
    ]);
    stack = await startProxyStack(inject('redisUrl'), prefix);
    for (let replica = 0; replica < 2; replica += 1) {
      const proxy = await stack.startProxy({
        EPISTULA_MAX_AGE_MS: '8000',
        EPISTULA_MAX_FUTURE_MS: '2000',
        METRICS_TOKEN: 'metrics-token-for-epistula',
      });
      proxies.push(proxy.url);
    }
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('forwards a request once: a replay to the same proxy or to another replica gets 409', async () => {
    const [first = '', second = ''] = proxies;
    const headers = sign(alice);
    const before = await forwarded();
    expect(await post(first, headers)).toEqual({ status: 200, code: undefined });
    expect(await post(first, headers)).toEqual({ status: 409, code: 'epistula_replayed' });
    expect(await post(second, headers)).toEqual({ status: 409, code: 'epistula_replayed' });
    expect(await forwarded()).toBe(before + 1);
  });

  it('refuses a UUID used before even under a fresh timestamp and a valid signature, from either replica', async () => {
    const [first = '', second = ''] = proxies;
    const headers = sign(alice);
    expect((await post(second, headers)).status).toBe(200);
    const uuid = headers[EpistulaHeader.Uuid];
    const again = sign(alice, BODY, { ...(uuid === undefined ? {} : { uuid }), timestamp: Date.now() + 1 });
    expect(await post(first, again)).toEqual({ status: 409, code: 'epistula_replayed' });
    // The cache is per sender: another validator may use the same UUID.
    const bobs = sign(bob, BODY, uuid === undefined ? {} : { uuid });
    expect((await post(first, bobs)).status).toBe(200);
  });

  it('refuses forged requests with 401: a body changed after signing, another key, another request’s signature', async () => {
    const [proxy = ''] = proxies;
    const before = await forwarded();
    const changed = JSON.stringify({ operation: 'add', a: '20', b: '23' });
    expect(await post(proxy, sign(alice), changed)).toEqual({ status: 401, code: 'epistula_bad_signature' });
    // Eve signs, but claims to be Alice.
    const impostor = { ...sign(eve), [EpistulaHeader.SignedBy]: alice.address };
    expect(await post(proxy, impostor)).toEqual({ status: 401, code: 'epistula_bad_signature' });
    const other = sign(alice, changed);
    const transplanted = {
      ...sign(alice),
      [EpistulaHeader.RequestSignature]: other[EpistulaHeader.RequestSignature] ?? '',
    };
    expect(await post(proxy, transplanted)).toEqual({ status: 401, code: 'epistula_bad_signature' });
    // Eve is a miner on the subnet: no validator permit. A stranger is not on it at all.
    expect(await post(proxy, sign(eve))).toEqual({ status: 403, code: 'epistula_no_validator_permit' });
    expect(await post(proxy, sign(stranger))).toEqual({ status: 401, code: 'epistula_unknown_signer' });
    expect(await forwarded()).toBe(before);
  });

  it('refuses stale and future timestamps with 400, the skew window being EPISTULA_MAX_AGE_MS and _FUTURE_MS', async () => {
    const [proxy = ''] = proxies;
    const before = await forwarded();
    expect(await post(proxy, sign(alice, BODY, { timestamp: Date.now() - 60_000 }))).toEqual({
      status: 400,
      code: 'epistula_stale_timestamp',
    });
    expect(await post(proxy, sign(alice, BODY, { timestamp: Date.now() - 9_000 }))).toEqual({
      status: 400,
      code: 'epistula_stale_timestamp',
    });
    expect(await post(proxy, sign(alice, BODY, { timestamp: Date.now() + 30_000 }))).toEqual({
      status: 400,
      code: 'epistula_future_timestamp',
    });
    expect(await forwarded()).toBe(before);
    // Within the window it goes through.
    expect((await post(proxy, sign(alice, BODY, { timestamp: Date.now() - 3_000 }))).status).toBe(200);
  });

  it('refuses requests addressed to another miner, or to no one, with 400', async () => {
    const [proxy = ''] = proxies;
    const before = await forwarded();
    expect(await post(proxy, sign(alice, BODY, { signedFor: bob.address }))).toEqual({
      status: 400,
      code: 'epistula_not_signed_for_me',
    });
    const unaddressed = signEpistulaRequest(alice, BODY).headers;
    expect(await post(proxy, unaddressed)).toEqual({ status: 400, code: 'epistula_missing_header' });
    // Re-addressing a request signed for someone else breaks its signature.
    const readdressed = {
      ...sign(alice, BODY, { signedFor: bob.address }),
      [EpistulaHeader.SignedFor]: dave.address,
    };
    expect(await post(proxy, readdressed)).toEqual({ status: 401, code: 'epistula_bad_signature' });
    expect(await forwarded()).toBe(before);
  });
});
