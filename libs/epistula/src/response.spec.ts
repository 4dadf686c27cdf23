import { createHash } from 'node:crypto';
import * as scure from '@scure/sr25519';
import { beforeAll, describe, expect, it } from 'vitest';
import { EpistulaErrorCode } from './errors';
import { EpistulaHeader } from './headers';
import { createBodyHasher } from './message';
import { MemoryReplayCache } from './replay-cache';
import { signEpistulaResponse, verifyEpistulaResponse, type VerifyEpistulaResponseOptions } from './response';
import { signEpistulaRequest, type SignedEpistulaRequest } from './sign';
import { epistulaRefusal, ManualClock, type TestKeys, testKeys, testSignerPolicy } from './test-support';
import { verifyEpistulaRequest } from './verify';

const T = 1_700_000_000_000;
const requestBody = '{"prompt":"2+2"}';
const responseBody = Buffer.from('{"answer":"4"}');
let keys: TestKeys;
let request: SignedEpistulaRequest;

beforeAll(async () => {
  keys = await testKeys();
  request = signEpistulaRequest(keys.validator, requestBody, { signedFor: keys.miner.address, timestamp: T });
});

function responseOptions(
  overrides: Partial<VerifyEpistulaResponseOptions> = {},
): VerifyEpistulaResponseOptions {
  return { expectedSignedBy: keys.miner.address, request, clock: () => T + 1_500, ...overrides };
}

function signedResponse(body: Uint8Array = responseBody, timestamp = T + 1_200) {
  return signEpistulaResponse(keys.miner, body, { request, timestamp });
}

describe('response signing', () => {
  it('mirrors the request headers: the request UUID, signed by the miner for the validator', () => {
    const headers = signedResponse();
    expect(headers).toMatchObject({
      'Epistula-Version': '2',
      'Epistula-Timestamp': String(T + 1_200),
      'Epistula-Uuid': request.uuid,
      'Epistula-Signed-By': keys.miner.address,
      'Epistula-Signed-For': keys.validator.address,
    });
    expect(headers['Epistula-Response-Signature']).toMatch(/^0x[0-9a-f]{128}$/);
    expect(headers).not.toHaveProperty('Epistula-Request-Signature');
  });

  it('signs `epistula-response.${sha256hex(body)}.${requestUuid}.${timestamp}.${requester}` (checked with scure)', () => {
    const headers = signedResponse();
    const digest = createHash('sha256').update(responseBody).digest('hex');
    const message = `epistula-response.${digest}.${request.uuid}.${T + 1_200}.${keys.validator.address}`;
    const signature = Buffer.from((headers['Epistula-Response-Signature'] ?? '').slice(2), 'hex');
    expect(scure.verify(Buffer.from(message, 'utf8'), signature, keys.miner.publicKey)).toBe(true);
  });

  it('the miner signs after verifying a request; the validator verifies the response', async () => {
    const clock = new ManualClock(T + 300);
    const verified = await verifyEpistulaRequest(request.headers, Buffer.from(requestBody), {
      hotkey: keys.miner.address,
      signerPolicy: testSignerPolicy(keys),
      replayCache: new MemoryReplayCache({ clock: clock.read }),
      clock: clock.read,
    });
    const headers = signEpistulaResponse(keys.miner, responseBody, { request: verified, timestamp: T + 400 });
    const lowerCased = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    await expect(verifyEpistulaResponse(lowerCased, responseBody, responseOptions())).resolves.toEqual({
      signedBy: keys.miner.address,
      uuid: request.uuid,
      timestamp: T + 400,
    });
  });

  it('verifies a streamed body through its incremental digest', async () => {
    const hasher = createBodyHasher();
    for (const chunk of ['data: {"tok', 'en":"4"}\n\n', 'data: [DONE]\n\n']) hasher.update(chunk);
    const digest = hasher.digest();
    const headers = signEpistulaResponse(keys.miner, digest, { request, timestamp: T + 1_000 });
    const whole = Buffer.from('data: {"token":"4"}\n\ndata: [DONE]\n\n');
    await expect(verifyEpistulaResponse(headers, whole, responseOptions())).resolves.toBeDefined();
  });

  it.each([
    {
      name: 'a changed body',
      headers: () => signedResponse(),
      body: Buffer.from('{"answer":"5"}'),
      code: EpistulaErrorCode.BadSignature,
    },
    {
      name: 'a response signed by another hotkey than the one asked',
      headers: () => signEpistulaResponse(keys.other, responseBody, { request, timestamp: T + 1_200 }),
      body: responseBody,
      code: EpistulaErrorCode.WrongSigner,
    },
    {
      name: 'a response claiming the miner but signed by another key',
      headers: () => ({
        ...signEpistulaResponse(keys.other, responseBody, { request, timestamp: T + 1_200 }),
        [EpistulaHeader.SignedBy]: keys.miner.address,
      }),
      body: responseBody,
      code: EpistulaErrorCode.BadSignature,
    },
    {
      name: 'a response to another request',
      headers: () =>
        signEpistulaResponse(keys.miner, responseBody, {
          request: { ...request, uuid: '0b6c9f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f' },
          timestamp: T + 1_200,
        }),
      body: responseBody,
      code: EpistulaErrorCode.UuidMismatch,
    },
    {
      name: 'a response to another request relabelled with this UUID',
      headers: () => ({
        ...signEpistulaResponse(keys.miner, responseBody, {
          request: { ...request, uuid: '0b6c9f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f' },
          timestamp: T + 1_200,
        }),
        [EpistulaHeader.Uuid]: request.uuid,
      }),
      body: responseBody,
      code: EpistulaErrorCode.BadSignature,
    },
    {
      name: 'a response signed for another validator',
      headers: () =>
        signEpistulaResponse(keys.miner, responseBody, {
          request: { ...request, signedBy: keys.other.address },
          timestamp: T + 1_200,
        }),
      body: responseBody,
      code: EpistulaErrorCode.NotSignedForMe,
    },
    {
      name: 'a stale response',
      headers: () => signedResponse(responseBody, T - 7_000),
      body: responseBody,
      code: EpistulaErrorCode.StaleTimestamp,
    },
    {
      name: 'no response signature',
      headers: () => ({ ...signedResponse(), [EpistulaHeader.ResponseSignature]: '' }),
      body: responseBody,
      code: EpistulaErrorCode.MissingHeader,
    },
    {
      name: 'the miner request signature passed off as a response signature',
      headers: () => {
        // A request the miner signed to the validator, over the same body, uuid and timestamp.
        const minerRequest = signEpistulaRequest(keys.miner, responseBody, {
          signedFor: keys.validator.address,
          uuid: request.uuid,
          timestamp: T + 1_200,
        });
        return {
          ...signedResponse(),
          [EpistulaHeader.ResponseSignature]: minerRequest.headers[EpistulaHeader.RequestSignature] ?? '',
        };
      },
      body: responseBody,
      code: EpistulaErrorCode.BadSignature,
    },
  ])('refuses $name with $code and status 502', async ({ headers, body, code }) => {
    const error = await epistulaRefusal(verifyEpistulaResponse(headers(), body, responseOptions()));
    expect(error).toMatchObject({ code, httpStatus: 502, side: 'response' });
  });

  it('a signed response is never accepted as a signed request', async () => {
    const headers = signedResponse();
    const asRequest = {
      ...headers,
      [EpistulaHeader.RequestSignature]: headers[EpistulaHeader.ResponseSignature],
      [EpistulaHeader.ResponseSignature]: undefined,
    };
    const clock = new ManualClock(T + 1_200);
    const error = await epistulaRefusal(
      verifyEpistulaRequest(asRequest, responseBody, {
        hotkey: keys.validator.address,
        signerPolicy: { check: () => ({ allowed: true }) },
        replayCache: new MemoryReplayCache({ clock: clock.read }),
        clock: clock.read,
      }),
    );
    expect(error.code).toBe(EpistulaErrorCode.BadSignature);
  });

  it('refuses verification options that name no hotkey', async () => {
    const error = await epistulaRefusal(
      verifyEpistulaResponse(signedResponse(), responseBody, responseOptions({ expectedSignedBy: 'miner' })),
    );
    expect(error.code).toBe(EpistulaErrorCode.InvalidOptions);
  });
});
