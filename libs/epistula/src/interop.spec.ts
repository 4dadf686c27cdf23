// Interoperability with an independent sr25519 implementation (@scure/sr25519) and the exact wire format peers use.
import { createHash, randomBytes } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import { encodeAddress } from '@polkadot/util-crypto';
import * as scure from '@scure/sr25519';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSr25519Signer, type EpistulaSigner } from './crypto';
import { EpistulaError, EpistulaErrorCode } from './errors';
import { MemoryReplayCache } from './replay-cache';
import { signEpistulaRequest } from './sign';
import { allowListSignerPolicy } from './signer-policy';
import { ManualClock, type TestKeys, testKeys } from './test-support';
import { verifyEpistulaRequest } from './verify';

const T = 1_700_000_000_000;
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const UUID = '3b241101-e2bb-4255-8caf-4136c566a962';
const BODY = '{"prompt":"hello"}';
const BODY_SHA256 = '8a44725210b9dcd4fefd9f0eca07b70ae45e69274a3105fb25eb426a2cf8bbf4';

let keys: TestKeys;

beforeAll(async () => {
  keys = await testKeys();
});

function bytesOfHex(text: string): Uint8Array {
  return Buffer.from(text.replace(/^0x/, ''), 'hex');
}

/** The message as peers' Python builds it, written out here independently of the lib. */
function peerMessage(
  body: string,
  uuid: string,
  timestamp: string,
  signedFor: string | undefined,
): Uint8Array {
  const digest = createHash('sha256').update(body, 'utf8').digest('hex');
  return new TextEncoder().encode(`${digest}.${uuid}.${timestamp}.${signedFor ?? ''}`);
}

function verifierOptions(signer: string) {
  const clock = new ManualClock(T);
  return {
    hotkey: BOB,
    signerPolicy: allowListSignerPolicy([signer]),
    replayCache: new MemoryReplayCache({ clock: clock.read }),
    clock: clock.read,
  };
}

describe('Epistula wire format (known answers)', () => {
  it('uses the development keys it claims to', () => {
    expect(keys.validator.address).toBe(ALICE);
    expect(keys.miner.address).toBe(BOB);
    expect(createHash('sha256').update(BODY).digest('hex')).toBe(BODY_SHA256);
  });

  it('sends exactly the six v2 headers, spelled as peers spell them, when signed for a receiver', () => {
    const request = signEpistulaRequest(keys.validator, BODY, { signedFor: BOB, timestamp: T, uuid: UUID });
    expect(Object.keys(request.headers).sort()).toEqual([
      'Epistula-Request-Signature',
      'Epistula-Signed-By',
      'Epistula-Signed-For',
      'Epistula-Timestamp',
      'Epistula-Uuid',
      'Epistula-Version',
    ]);
    expect(request.headers).toMatchObject({
      'Epistula-Version': '2',
      'Epistula-Timestamp': '1700000000000',
      'Epistula-Uuid': UUID,
      'Epistula-Signed-By': ALICE,
      'Epistula-Signed-For': BOB,
    });
    expect(request.headers['Epistula-Request-Signature']).toMatch(/^0x[0-9a-f]{128}$/);
    expect(request).toMatchObject({ uuid: UUID, timestamp: T, signedBy: ALICE, signedFor: BOB });
  });

  it('signs `${sha256hex(body)}.${uuid}.${timestamp}.${signedFor}` as UTF-8 bytes', () => {
    const request = signEpistulaRequest(keys.validator, BODY, { signedFor: BOB, timestamp: T, uuid: UUID });
    const message = `${BODY_SHA256}.${UUID}.1700000000000.${BOB}`;
    const signature = bytesOfHex(request.headers['Epistula-Request-Signature'] ?? '');
    expect(scure.verify(Buffer.from(message, 'utf8'), signature, keys.validator.publicKey)).toBe(true);
  });

  it('leaves Signed-For out and signs an empty last field when there is no receiver', () => {
    const request = signEpistulaRequest(keys.validator, BODY, { timestamp: T, uuid: UUID });
    expect(Object.keys(request.headers)).not.toContain('Epistula-Signed-For');
    expect(Object.keys(request.headers)).toHaveLength(5);
    const message = `${BODY_SHA256}.${UUID}.1700000000000.`;
    const signature = bytesOfHex(request.headers['Epistula-Request-Signature'] ?? '');
    expect(scure.verify(Buffer.from(message, 'utf8'), signature, keys.validator.publicKey)).toBe(true);
  });

  it('hashes the empty body of a GET like peers (sha256 of zero bytes)', () => {
    const request = signEpistulaRequest(keys.validator, new Uint8Array(0), {
      signedFor: BOB,
      timestamp: T,
      uuid: UUID,
    });
    const message = `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.${UUID}.1700000000000.${BOB}`;
    const signature = bytesOfHex(request.headers['Epistula-Request-Signature'] ?? '');
    expect(scure.verify(Buffer.from(message, 'utf8'), signature, keys.validator.publicKey)).toBe(true);
  });

  it('draws a fresh v4 UUID and the current time when none is given', () => {
    const before = Date.now();
    const first = signEpistulaRequest(keys.validator, BODY, { signedFor: BOB });
    const second = signEpistulaRequest(keys.validator, BODY, { signedFor: BOB });
    expect(first.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.uuid).not.toBe(second.uuid);
    expect(first.timestamp).toBeGreaterThanOrEqual(before);
    expect(first.timestamp).toBeLessThanOrEqual(Date.now());
  });
});

describe('interoperability with @scure/sr25519', () => {
  it('signs with a keyring pair and with the WebAssembly signer; scure verifies both', async () => {
    const seed = randomBytes(32);
    const wasmSigner = await createSr25519Signer(seed);
    const scureSecret = scure.secretFromSeed(seed);
    const publicKey = scure.getPublicKey(scureSecret);
    expect(wasmSigner.address).toBe(encodeAddress(publicKey, 42));

    for (const [signer, key] of [
      [keys.validator, keys.validator.publicKey],
      [wasmSigner, publicKey],
    ] as [EpistulaSigner, Uint8Array][]) {
      const request = signEpistulaRequest(signer, BODY, { signedFor: BOB, timestamp: T });
      const message = peerMessage(BODY, request.uuid, '1700000000000', BOB);
      const signature = bytesOfHex(request.headers['Epistula-Request-Signature'] ?? '');
      expect(scure.verify(message, signature, key)).toBe(true);
      expect(scure.verify(peerMessage(`${BODY} `, request.uuid, '1700000000000', BOB), signature, key)).toBe(
        false,
      );
    }
  });

  it('verifies headers built and signed with scure alone, with and without Signed-For', async () => {
    const secret = scure.secretFromSeed(randomBytes(32));
    const address = encodeAddress(scure.getPublicKey(secret), 42);
    const uuid = '0b6c9f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
    const timestamp = String(T - 1_234);
    const headers = {
      'epistula-version': '2',
      'epistula-timestamp': timestamp,
      'epistula-uuid': uuid,
      'epistula-signed-by': address,
      'epistula-signed-for': BOB,
      'epistula-request-signature': `0x${Buffer.from(scure.sign(secret, peerMessage(BODY, uuid, timestamp, BOB))).toString('hex')}`,
    };
    await expect(
      verifyEpistulaRequest(headers, Buffer.from(BODY), verifierOptions(address)),
    ).resolves.toEqual({
      signedBy: address,
      signedFor: BOB,
      uuid,
      timestamp: T - 1_234,
    });

    const anyoneOptions = { ...verifierOptions(address), hotkey: null };
    const unaddressed = {
      ...headers,
      'epistula-signed-for': undefined,
      'epistula-request-signature': `0x${Buffer.from(scure.sign(secret, peerMessage(BODY, uuid, timestamp, undefined))).toString('hex')}`,
    };
    await expect(verifyEpistulaRequest(unaddressed, Buffer.from(BODY), anyoneOptions)).resolves.toMatchObject(
      {
        signedFor: undefined,
      },
    );
  });

  it('refuses a scure signature over another body', async () => {
    const secret = scure.secretFromSeed(randomBytes(32));
    const address = encodeAddress(scure.getPublicKey(secret), 42);
    const uuid = '0b6c9f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
    const headers = {
      'epistula-version': '2',
      'epistula-timestamp': String(T),
      'epistula-uuid': uuid,
      'epistula-signed-by': address,
      'epistula-signed-for': BOB,
      'epistula-request-signature': `0x${Buffer.from(scure.sign(secret, peerMessage('{}', uuid, String(T), BOB))).toString('hex')}`,
    };
    await expect(
      verifyEpistulaRequest(headers, Buffer.from(BODY), verifierOptions(address)),
    ).rejects.toMatchObject({
      code: EpistulaErrorCode.BadSignature,
    });
  });
});

describe('signing', () => {
  it('refuses keys that are not sr25519 and inputs that would make a request peers refuse', () => {
    const ed25519 = new Keyring({ type: 'ed25519' }).addFromUri('//Alice');
    expect(() => signEpistulaRequest(ed25519, BODY)).toThrow(
      expect.objectContaining({ code: EpistulaErrorCode.InvalidSigner }),
    );
    expect(() => signEpistulaRequest(keys.validator, BODY, { signedFor: 'bob' })).toThrow(EpistulaError);
    expect(() => signEpistulaRequest(keys.validator, BODY, { uuid: 'x' })).toThrow(EpistulaError);
    expect(() => signEpistulaRequest(keys.validator, BODY, { timestamp: 1.5 })).toThrow(EpistulaError);
    const short: EpistulaSigner = { address: ALICE, sign: () => new Uint8Array(10) };
    expect(() => signEpistulaRequest(short, BODY)).toThrow(
      expect.objectContaining({ code: EpistulaErrorCode.InvalidSigner }),
    );
  });

  it('refuses a seed that is not 32 bytes', async () => {
    await expect(createSr25519Signer(new Uint8Array(31))).rejects.toMatchObject({
      code: EpistulaErrorCode.InvalidSigner,
    });
  });
});
