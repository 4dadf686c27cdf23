import { Keyring } from '@polkadot/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sr25519SignerFromPair, verifySr25519 } from './crypto';
import { EpistulaErrorCode } from './errors';
import { epistulaRequestMessage, sha256Hex } from './message';
import { MemoryReplayCache } from './replay-cache';
import { signEpistulaRequest } from './sign';
import { SignatureWorkerPool } from './signature-workers';
import { epistulaRefusal, ManualClock, type TestKeys, testKeys, testSignerPolicy } from './test-support';
import { verifyEpistulaRequest } from './verify';

const T = 1_700_000_000_000;
let keys: TestKeys;
let pool: SignatureWorkerPool;

beforeAll(async () => {
  keys = await testKeys();
  pool = new SignatureWorkerPool({ threads: 2 });
});

afterAll(async () => {
  await pool.close();
});

/** A signature by the validator over a request message, with its message and public key. */
function signedMessage(text = 'hello') {
  const message = Buffer.from(text, 'utf8');
  return { signature: keys.validator.sign(message), message, publicKey: keys.validator.publicKey };
}

describe('SignatureWorkerPool', () => {
  it('answers like the verifier on the calling thread: valid, tampered, wrapped, wrong key', async () => {
    const { signature, message, publicKey } = signedMessage();
    const wrapped = keys.validator.sign(Buffer.from('<Bytes>hello</Bytes>', 'utf8'));
    const cases: [Uint8Array, Uint8Array, Uint8Array, boolean][] = [
      [signature, message, publicKey, true],
      [signature, Buffer.from('hellO', 'utf8'), publicKey, true],
      [signature, message, keys.miner.publicKey, true],
      [wrapped, message, publicKey, true],
      [wrapped, message, publicKey, false],
      [new Uint8Array(64), message, publicKey, true],
    ];
    const answers = await Promise.all(cases.map((args) => pool.check(...args)));
    expect(answers).toEqual([true, false, false, true, false, false]);
    expect(answers).toEqual(cases.map((args) => verifySr25519(...args)));
  });

  it('keeps up with many checks in flight on its threads', async () => {
    const items = Array.from({ length: 200 }, (_, index) => signedMessage(`message ${index}`));
    const answers = await Promise.all(
      items.map((item, index) =>
        pool.check(
          item.signature,
          index % 3 === 0 ? Buffer.from('other') : item.message,
          item.publicKey,
          true,
        ),
      ),
    );
    expect(answers).toEqual(items.map((_, index) => index % 3 !== 0));
  });

  it('lets the verifier check requests on worker threads, refusing a body changed after signing', async () => {
    const clock = new ManualClock(T);
    const options = {
      hotkey: keys.miner.address,
      signerPolicy: testSignerPolicy(keys),
      replayCache: new MemoryReplayCache({ clock: clock.read }),
      clock: clock.read,
      signatureChecker: pool,
    };
    const body = Buffer.from('{"prompt":"2+2"}');
    const request = signEpistulaRequest(keys.validator, body, {
      signedFor: keys.miner.address,
      timestamp: T,
    });
    await expect(verifyEpistulaRequest(request.headers, body, options)).resolves.toMatchObject({
      signedBy: keys.validator.address,
      uuid: request.uuid,
    });
    const other = signEpistulaRequest(keys.validator, body, { signedFor: keys.miner.address, timestamp: T });
    const refusal = await epistulaRefusal(verifyEpistulaRequest(other.headers, '{"prompt":"2+3"}', options));
    expect(refusal.code).toBe(EpistulaErrorCode.BadSignature);
  });

  it('fails the checks of a worker that dies with 503 and replaces it', async () => {
    const own = new SignatureWorkerPool({ threads: 1 });
    try {
      const { signature, message, publicKey } = signedMessage();
      expect(await own.check(signature, message, publicKey, true)).toBe(true);
      const worker = (own as unknown as { workers: { worker: { terminate(): Promise<number> } }[] })
        .workers[0];
      // The last of many checks cannot be done before the worker stops.
      const inFlight = Array.from({ length: 50 }, () => own.check(signature, message, publicKey, true));
      await worker?.worker.terminate();
      const refusal = await epistulaRefusal(inFlight.at(-1) ?? Promise.resolve());
      await Promise.allSettled(inFlight);
      expect(refusal.code).toBe(EpistulaErrorCode.CryptoUnavailable);
      expect(refusal.httpStatus).toBe(503);
      expect(own.threads).toBe(1);
      expect(await own.check(signature, message, publicKey, true)).toBe(true);
    } finally {
      await own.close();
    }
    const refusal = await epistulaRefusal(
      own.check(new Uint8Array(64), new Uint8Array(1), keys.validator.publicKey, true),
    );
    expect(refusal.code).toBe(EpistulaErrorCode.CryptoUnavailable);
  });

  it('refuses to start without a thread', () => {
    expect(() => new SignatureWorkerPool({ threads: 0 })).toThrow(/at least one thread/);
  });
});

describe('sr25519SignerFromPair', () => {
  it('signs on the WebAssembly build for the pair, in a form the pair and peers verify', async () => {
    const signer = await sr25519SignerFromPair(keys.miner);
    expect(signer.address).toBe(keys.miner.address);
    const body = '{"answer":"4"}';
    const request = signEpistulaRequest(signer, body, { signedFor: keys.validator.address, timestamp: T });
    const message = Buffer.from(
      epistulaRequestMessage(sha256Hex(body), request.uuid, String(T), keys.validator.address),
      'utf8',
    );
    const signature = Buffer.from((request.headers['Epistula-Request-Signature'] ?? '').slice(2), 'hex');
    expect(keys.miner.verify(message, signature, keys.miner.publicKey)).toBe(true);
    expect(keys.validator.verify(message, signature, keys.validator.publicKey)).toBe(false);
  });

  it('refuses a key that is not sr25519', async () => {
    const ed25519 = new Keyring({ type: 'ed25519' }).addFromUri('//Alice');
    await expect(sr25519SignerFromPair(ed25519)).rejects.toMatchObject({
      code: EpistulaErrorCode.InvalidSigner,
    });
  });
});
