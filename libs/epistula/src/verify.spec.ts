import { beforeAll, describe, expect, it } from 'vitest';
import { EpistulaError, EpistulaErrorCode } from './errors';
import { EpistulaHeader } from './headers';
import { epistulaRequestMessage, sha256Hex } from './message';
import { MemoryReplayCache, type ReplayCache } from './replay-cache';
import { signEpistulaRequest, type SignEpistulaRequestOptions } from './sign';
import { allowAnySigner, type SignerPolicy } from './signer-policy';
import { epistulaRefusal, ManualClock, type TestKeys, testKeys, testSignerPolicy } from './test-support';
import { EpistulaVerifier, type EpistulaVerifierOptions, verifyEpistulaRequest } from './verify';

const T = 1_700_000_000_000;
const body = Buffer.from('{"prompt":"hello"}');
let keys: TestKeys;

beforeAll(async () => {
  keys = await testKeys();
});

function options(overrides: Partial<EpistulaVerifierOptions> = {}): EpistulaVerifierOptions {
  const clock = new ManualClock(T);
  return {
    hotkey: keys.miner.address,
    signerPolicy: testSignerPolicy(keys),
    replayCache: new MemoryReplayCache({ clock: clock.read }),
    clock: clock.read,
    ...overrides,
  };
}

function signed(
  overrides: SignEpistulaRequestOptions = {},
  signer = keys.validator,
): Record<string, string | undefined> {
  return signEpistulaRequest(signer, body, { signedFor: keys.miner.address, timestamp: T, ...overrides })
    .headers;
}

function withHeader(name: string, value: string | undefined, signer = keys.validator) {
  return { ...signed({}, signer), [name]: value };
}

async function refusal(
  headers: Record<string, string | string[] | undefined>,
  verifierOptions = options(),
  requestBody: Uint8Array = body,
): Promise<EpistulaError> {
  return epistulaRefusal(verifyEpistulaRequest(headers, requestBody, verifierOptions));
}

describe('verifyEpistulaRequest', () => {
  it('accepts a request signed for this node and says who signed it', async () => {
    const request = signEpistulaRequest(keys.validator, body, {
      signedFor: keys.miner.address,
      timestamp: T,
    });
    const verified = await verifyEpistulaRequest(request.headers, body, options());
    expect(verified).toEqual({
      signedBy: keys.validator.address,
      signedFor: keys.miner.address,
      uuid: request.uuid,
      timestamp: T,
    });
  });

  it('reads headers however they are spelled: lower-cased by Node, as peers write them, or a fetch Headers', async () => {
    const headers = signed();
    const lower = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    await expect(verifyEpistulaRequest(lower, body, options())).resolves.toMatchObject({
      signedBy: keys.validator.address,
    });
    const upper = Object.fromEntries(
      Object.entries(signed()).map(([name, value]) => [name.toUpperCase(), value]),
    );
    await expect(verifyEpistulaRequest(upper, body, options())).resolves.toBeDefined();
    await expect(
      verifyEpistulaRequest(new Headers(signed() as Record<string, string>), body, options()),
    ).resolves.toBeDefined();
  });

  it('takes the body as bytes, as the same text, or as its digest', async () => {
    const verifierOptions = options();
    await expect(
      verifyEpistulaRequest(signed(), body.toString('utf8'), verifierOptions),
    ).resolves.toBeDefined();
    await expect(
      verifyEpistulaRequest(signed(), { sha256Hex: sha256Hex(body) }, verifierOptions),
    ).resolves.toBeDefined();
  });

  it.each([
    {
      name: 'no Epistula-Version',
      headers: () => withHeader(EpistulaHeader.Version, undefined),
      code: EpistulaErrorCode.MissingHeader,
      status: 400,
      header: EpistulaHeader.Version,
    },
    {
      name: 'another version',
      headers: () => withHeader(EpistulaHeader.Version, '1'),
      code: EpistulaErrorCode.UnsupportedVersion,
      status: 400,
      header: EpistulaHeader.Version,
    },
    {
      name: 'no Epistula-Signed-For',
      headers: () => signed({ signedFor: undefined }),
      code: EpistulaErrorCode.MissingHeader,
      status: 400,
      header: EpistulaHeader.SignedFor,
    },
    {
      name: 'signed for another miner',
      headers: () => signed({ signedFor: keys.other.address }),
      code: EpistulaErrorCode.NotSignedForMe,
      status: 400,
      header: EpistulaHeader.SignedFor,
    },
    {
      name: 'a Signed-For that is no address',
      headers: () => withHeader(EpistulaHeader.SignedFor, '0x1234'),
      code: EpistulaErrorCode.InvalidSignedFor,
      status: 400,
      header: EpistulaHeader.SignedFor,
    },
    {
      name: 'no Epistula-Signed-By',
      headers: () => withHeader(EpistulaHeader.SignedBy, undefined),
      code: EpistulaErrorCode.MissingHeader,
      status: 400,
      header: EpistulaHeader.SignedBy,
    },
    {
      name: 'a Signed-By that is no address',
      headers: () => withHeader(EpistulaHeader.SignedBy, 'alice'),
      code: EpistulaErrorCode.InvalidSignedBy,
      status: 400,
      header: EpistulaHeader.SignedBy,
    },
    {
      name: 'a Signed-By with a broken checksum',
      headers: () => withHeader(EpistulaHeader.SignedBy, `${keys.validator.address.slice(0, -1)}Z`),
      code: EpistulaErrorCode.InvalidSignedBy,
      status: 400,
      header: EpistulaHeader.SignedBy,
    },
    {
      name: 'a signer not on the subnet',
      headers: () => signed({}, keys.stranger),
      code: EpistulaErrorCode.UnknownSigner,
      status: 401,
      header: EpistulaHeader.SignedBy,
    },
    {
      name: 'a signer without validator permit',
      headers: () => signed({}, keys.other),
      code: EpistulaErrorCode.NoValidatorPermit,
      status: 403,
      header: EpistulaHeader.SignedBy,
    },
    {
      name: 'a signer with too little stake',
      headers: () => signed({}, keys.poor),
      code: EpistulaErrorCode.InsufficientStake,
      status: 403,
      header: EpistulaHeader.SignedBy,
    },
    {
      name: 'no Epistula-Timestamp',
      headers: () => withHeader(EpistulaHeader.Timestamp, undefined),
      code: EpistulaErrorCode.MissingHeader,
      status: 400,
      header: EpistulaHeader.Timestamp,
    },
    {
      name: 'a timestamp in seconds with a fraction',
      headers: () => withHeader(EpistulaHeader.Timestamp, '1700000000.5'),
      code: EpistulaErrorCode.InvalidTimestamp,
      status: 400,
      header: EpistulaHeader.Timestamp,
    },
    {
      name: 'a timestamp older than 8 s',
      headers: () => signed({ timestamp: T - 8_001 }),
      code: EpistulaErrorCode.StaleTimestamp,
      status: 400,
      header: EpistulaHeader.Timestamp,
    },
    {
      name: 'a timestamp more than 2 s ahead',
      headers: () => signed({ timestamp: T + 2_001 }),
      code: EpistulaErrorCode.FutureTimestamp,
      status: 400,
      header: EpistulaHeader.Timestamp,
    },
    {
      name: 'no Epistula-Uuid',
      headers: () => withHeader(EpistulaHeader.Uuid, undefined),
      code: EpistulaErrorCode.MissingHeader,
      status: 400,
      header: EpistulaHeader.Uuid,
    },
    {
      name: 'a UUID that is not one',
      headers: () => withHeader(EpistulaHeader.Uuid, 'not-a-uuid'),
      code: EpistulaErrorCode.InvalidUuid,
      status: 400,
      header: EpistulaHeader.Uuid,
    },
    {
      name: 'no signature',
      headers: () => withHeader(EpistulaHeader.RequestSignature, undefined),
      code: EpistulaErrorCode.MissingHeader,
      status: 400,
      header: EpistulaHeader.RequestSignature,
    },
    {
      name: 'a signature without 0x',
      headers: () => {
        const headers = signed();
        return {
          ...headers,
          [EpistulaHeader.RequestSignature]: headers[EpistulaHeader.RequestSignature]?.slice(2),
        };
      },
      code: EpistulaErrorCode.InvalidSignatureFormat,
      status: 400,
      header: EpistulaHeader.RequestSignature,
    },
    {
      name: 'a signature of 63 bytes',
      headers: () => {
        const headers = signed();
        return {
          ...headers,
          [EpistulaHeader.RequestSignature]: headers[EpistulaHeader.RequestSignature]?.slice(0, -2),
        };
      },
      code: EpistulaErrorCode.InvalidSignatureFormat,
      status: 400,
      header: EpistulaHeader.RequestSignature,
    },
    {
      name: 'a signature that is not hex',
      headers: () => withHeader(EpistulaHeader.RequestSignature, `0x${'zz'.repeat(64)}`),
      code: EpistulaErrorCode.InvalidSignatureFormat,
      status: 400,
      header: EpistulaHeader.RequestSignature,
    },
    {
      name: 'the signature of another request',
      headers: () =>
        withHeader(
          EpistulaHeader.RequestSignature,
          signEpistulaRequest(keys.validator, 'other body', { signedFor: keys.miner.address, timestamp: T })
            .headers[EpistulaHeader.RequestSignature],
        ),
      code: EpistulaErrorCode.BadSignature,
      status: 401,
      header: EpistulaHeader.RequestSignature,
    },
    {
      name: 'a header sent twice',
      headers: () => ({ ...signed(), [EpistulaHeader.Uuid.toLowerCase()]: ['a', 'b'] }),
      code: EpistulaErrorCode.DuplicateHeader,
      status: 400,
      header: EpistulaHeader.Uuid,
    },
  ])('refuses $name with $status $code', async ({ headers, code, status, header }) => {
    const error = await refusal(headers());
    expect(error).toMatchObject({ code, httpStatus: status, details: { header }, side: 'request' });
  });

  it('accepts timestamps exactly at the edges of the skew', async () => {
    const verifierOptions = options();
    await expect(
      verifyEpistulaRequest(signed({ timestamp: T - 8_000 }), body, verifierOptions),
    ).resolves.toBeDefined();
    await expect(
      verifyEpistulaRequest(signed({ timestamp: T + 2_000 }), body, verifierOptions),
    ).resolves.toBeDefined();
  });

  it('applies a configured skew', async () => {
    const verifierOptions = options({ maxAgeMs: 30_000, maxFutureMs: 0 });
    await expect(
      verifyEpistulaRequest(signed({ timestamp: T - 30_000 }), body, verifierOptions),
    ).resolves.toBeDefined();
    expect((await refusal(signed({ timestamp: T + 1 }), verifierOptions)).code).toBe(
      EpistulaErrorCode.FutureTimestamp,
    );
    expect(new EpistulaVerifier(verifierOptions).replayWindowMs).toBe(30_000);
  });

  it('refuses a body changed after signing', async () => {
    const error = await refusal(signed(), options(), Buffer.from('{"prompt":"hellO"}'));
    expect(error.code).toBe(EpistulaErrorCode.BadSignature);
  });

  it('refuses the same request twice with 409, and keys replays by sender', async () => {
    const verifierOptions = options({ signerPolicy: allowAnySigner });
    const uuid = '3b241101-e2bb-4255-8caf-4136c566a962';
    const first = signed({ uuid });
    await verifyEpistulaRequest(first, body, verifierOptions);
    const error = await refusal(first, verifierOptions);
    expect(error).toMatchObject({ code: EpistulaErrorCode.Replayed, httpStatus: 409 });
    await expect(
      verifyEpistulaRequest(signed({ uuid }, keys.other), body, verifierOptions),
    ).resolves.toBeDefined();
  });

  it('checks in the peers order: the first failing check is the one reported', async () => {
    // stale, from an unknown signer, with a bad signature: the signer check comes first
    const strangerStale = {
      ...signed({ timestamp: T - 60_000 }, keys.stranger),
      [EpistulaHeader.RequestSignature]: `0x${'00'.repeat(64)}`,
    };
    expect((await refusal(strangerStale)).code).toBe(EpistulaErrorCode.UnknownSigner);
    // wrong version and signed for someone else: the version comes first
    expect(
      (await refusal({ ...signed({ signedFor: keys.other.address }), [EpistulaHeader.Version]: '3' })).code,
    ).toBe(EpistulaErrorCode.UnsupportedVersion);
    // stale with a bad signature: the timestamp comes before the signature
    const staleForged = {
      ...signed({ timestamp: T - 9_000 }),
      [EpistulaHeader.RequestSignature]: `0x${'00'.repeat(64)}`,
    };
    expect((await refusal(staleForged)).code).toBe(EpistulaErrorCode.StaleTimestamp);
    // a replayed UUID with a bad signature: the signature comes before the replay check
    const verifierOptions = options();
    const request = signed();
    await verifyEpistulaRequest(request, body, verifierOptions);
    const forged = { ...request, [EpistulaHeader.RequestSignature]: `0x${'00'.repeat(64)}` };
    expect((await refusal(forged, verifierOptions)).code).toBe(EpistulaErrorCode.BadSignature);
  });

  it('with hotkey null, accepts requests signed for anyone or no one, still covered by the signature', async () => {
    const verifierOptions = options({ hotkey: null });
    await expect(
      verifyEpistulaRequest(signed({ signedFor: undefined }), body, verifierOptions),
    ).resolves.toMatchObject({
      signedFor: undefined,
    });
    await expect(
      verifyEpistulaRequest(signed({ signedFor: keys.other.address }), body, verifierOptions),
    ).resolves.toMatchObject({ signedFor: keys.other.address });
    const retargeted = withHeader(EpistulaHeader.SignedFor, keys.other.address);
    expect((await refusal(retargeted, verifierOptions)).code).toBe(EpistulaErrorCode.BadSignature);
    const stripped = withHeader(EpistulaHeader.SignedFor, undefined);
    expect((await refusal(stripped, verifierOptions)).code).toBe(EpistulaErrorCode.BadSignature);
  });

  it('accepts a signature over <Bytes>message</Bytes> as peers do, unless told not to', async () => {
    const uuid = 'f4a1d3c2-5b6e-4f70-8a91-b2c3d4e5f607';
    const message = epistulaRequestMessage(sha256Hex(body), uuid, String(T), keys.miner.address);
    const wrapped = keys.validator.sign(Buffer.from(`<Bytes>${message}</Bytes>`, 'utf8'));
    const headers = {
      ...signed({ uuid }),
      [EpistulaHeader.RequestSignature]: `0x${Buffer.from(wrapped).toString('hex')}`,
    };
    await expect(verifyEpistulaRequest(headers, body, options())).resolves.toBeDefined();
    const strict = await refusal(headers, options({ acceptWrappedSignatures: false }));
    expect(strict.code).toBe(EpistulaErrorCode.BadSignature);
  });

  it('waits for an asynchronous signer policy', async () => {
    const sync = testSignerPolicy(keys);
    const policy: SignerPolicy = { check: async (hotkey) => Promise.resolve(sync.check(hotkey)) };
    await expect(
      verifyEpistulaRequest(signed(), body, options({ signerPolicy: policy })),
    ).resolves.toBeDefined();
    expect((await refusal(signed({}, keys.poor), options({ signerPolicy: policy }))).code).toBe(
      EpistulaErrorCode.InsufficientStake,
    );
  });

  it('answers 503 when the signer policy cannot decide, keeping a typed error of its own', async () => {
    const unavailable: SignerPolicy = {
      check: () => ({ allowed: false, reason: 'unavailable', message: 'the metagraph is 300 s old' }),
    };
    expect(await refusal(signed(), options({ signerPolicy: unavailable }))).toMatchObject({
      code: EpistulaErrorCode.SignerLookupUnavailable,
      httpStatus: 503,
      message: 'the metagraph is 300 s old',
    });
    const broken: SignerPolicy = {
      check: () => {
        throw new Error('connection reset');
      },
    };
    expect(await refusal(signed(), options({ signerPolicy: broken }))).toMatchObject({
      code: EpistulaErrorCode.SignerLookupUnavailable,
      httpStatus: 503,
    });
    const rejecting: SignerPolicy = { check: () => Promise.reject(new Error('connection reset')) };
    expect((await refusal(signed(), options({ signerPolicy: rejecting }))).httpStatus).toBe(503);

    class MetagraphStale extends Error {
      readonly code = 'metagraph_stale';
      readonly httpStatus = 503;
    }
    const stale: SignerPolicy = {
      check: () => {
        throw new MetagraphStale('the metagraph is stale');
      },
    };
    await expect(
      verifyEpistulaRequest(signed(), body, options({ signerPolicy: stale })),
    ).rejects.toBeInstanceOf(MetagraphStale);
  });

  it('answers 503 when the replay cache fails instead of letting the request through', async () => {
    const broken: ReplayCache = { firstSeen: () => Promise.reject(new Error('ECONNREFUSED')) };
    expect(await refusal(signed(), options({ replayCache: broken }))).toMatchObject({
      code: EpistulaErrorCode.ReplayCacheUnavailable,
      httpStatus: 503,
    });
  });

  it('never puts the signature or the body in a refusal message', async () => {
    const verifierOptions = options();
    const headers = signed();
    const signature = headers[EpistulaHeader.RequestSignature] ?? '';
    await verifyEpistulaRequest(headers, body, verifierOptions);
    const refusals = [
      await refusal(headers, verifierOptions),
      await refusal(signed(), verifierOptions, Buffer.from('{"secret":"do not echo"}')),
      await refusal(withHeader(EpistulaHeader.RequestSignature, `${signature}00`), verifierOptions),
      await refusal(withHeader(EpistulaHeader.Version, 'x'.repeat(500)), verifierOptions),
    ];
    for (const error of refusals) {
      expect(error.message).not.toContain(signature.slice(2, 40));
      expect(error.message).not.toContain('do not echo');
      expect(error.message).not.toContain('prompt');
      expect(error.message.length).toBeLessThan(200);
    }
  });

  it('refuses options that cannot work', async () => {
    expect(() => new EpistulaVerifier(options({ hotkey: 'me' }))).toThrow(EpistulaError);
    expect(() => new EpistulaVerifier(options({ maxAgeMs: -1 }))).toThrow(/maxAgeMs/);
    const error = await refusal(signed(), options({ maxFutureMs: 1.5 }));
    expect(error).toMatchObject({ code: EpistulaErrorCode.InvalidOptions, httpStatus: 500 });
  });
});
