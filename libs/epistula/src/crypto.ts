import { decodePair } from '@polkadot/keyring/pair/decode';
import { decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import { sr25519KeypairFromSeed, sr25519Sign, sr25519Verify, waitReady } from '@polkadot/wasm-crypto';
import { EpistulaError, EpistulaErrorCode } from './errors';
import { ss58Pattern } from './message';

let ready = false;
let readying: Promise<void> | undefined;

/**
 * Initialises the sr25519 WebAssembly module once; verification awaits it on first use, apps may await it at start.
 * Rejects with `epistula_crypto_unavailable` when WebAssembly cannot be loaded.
 */
export function epistulaCryptoReady(): Promise<void> {
  if (ready) return Promise.resolve();
  readying ??= waitReady().then((ok) => {
    if (!ok) {
      readying = undefined;
      throw new EpistulaError(
        EpistulaErrorCode.CryptoUnavailable,
        'the sr25519 WebAssembly module failed to load',
      );
    }
    ready = true;
  });
  return readying;
}

/** True once `epistulaCryptoReady()` has resolved. */
export function isEpistulaCryptoReady(): boolean {
  return ready;
}

/** The 32-byte public key of an SS58 address, or undefined when it is not one (bad characters, checksum, length). */
export function publicKeyOfAddress(address: string): Uint8Array | undefined {
  if (!ss58Pattern.test(address)) return undefined;
  try {
    const key = decodeAddress(address);
    return key.length === 32 ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decoded public keys by SS58 address. Decoding costs about a tenth of a verification (base58 and a blake2
 * checksum), so the verifier keeps the keys of signers its policy accepted; the oldest entry goes when full.
 */
export class PublicKeyCache {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly maxEntries = 4096) {}

  get(address: string): Uint8Array | undefined {
    return this.keys.get(address);
  }

  set(address: string, publicKey: Uint8Array): void {
    if (this.keys.size >= this.maxEntries) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    this.keys.set(address, publicKey);
  }

  get size(): number {
    return this.keys.size;
  }
}

const bytesOpen = Buffer.from('<Bytes>', 'utf8');
const bytesClose = Buffer.from('</Bytes>', 'utf8');

/**
 * sr25519 verification with the schnorrkel WebAssembly build ("substrate" signing context). Like peers'
 * `Keypair.verify` and polkadot-js `signatureVerify`, it also accepts a signature over the message wrapped in
 * `<Bytes>…</Bytes>`, which is what browser wallets sign; the second try only runs when the first fails.
 */
export function verifySr25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  acceptWrapped: boolean,
): boolean {
  try {
    if (sr25519Verify(signature, message, publicKey)) return true;
    return (
      acceptWrapped && sr25519Verify(signature, Buffer.concat([bytesOpen, message, bytesClose]), publicKey)
    );
  } catch {
    // Malformed points make some builds throw rather than answer false; either way it is not a valid signature.
    return false;
  }
}

/** What signs Epistula messages: a @polkadot/keyring sr25519 pair fits, as does `createSr25519Signer`. */
export interface EpistulaSigner {
  /** The signer's SS58 address (its hotkey). */
  readonly address: string;
  /** sr25519 signature (64 bytes) of the message bytes, "substrate" signing context. */
  sign(message: Uint8Array): Uint8Array;
  /** Key type, when the signer knows it (keyring pairs do); anything but sr25519 is refused. */
  readonly type?: string;
}

/**
 * A signer on the WebAssembly sr25519 build from a 32-byte mini-secret seed (a wallet's `secretSeed`); several times
 * faster than a keyring pair's pure-JS signing.
 */
export async function createSr25519Signer(seed: Uint8Array, ss58Format = 42): Promise<EpistulaSigner> {
  if (seed.length !== 32) {
    throw new EpistulaError(
      EpistulaErrorCode.InvalidSigner,
      `an sr25519 seed has 32 bytes, not ${seed.length}`,
    );
  }
  await epistulaCryptoReady();
  const pair = sr25519KeypairFromSeed(seed);
  const secretKey = pair.slice(0, 64);
  const publicKey = pair.slice(64, 96);
  return {
    address: encodeAddress(publicKey, ss58Format),
    type: 'sr25519',
    sign: (message) => sr25519Sign(publicKey, secretKey, message),
  };
}

/** What `sr25519SignerFromPair` reads of a keyring pair (a @polkadot/keyring `KeyringPair` fits). */
export interface ExportableSr25519Pair {
  readonly address: string;
  readonly type: string;
  readonly publicKey: Uint8Array;
  encodePkcs8(): Uint8Array;
}

const SIGNER_PROBE = Buffer.from('epistula signer check', 'utf8');

/**
 * A signer on the WebAssembly sr25519 build with an unlocked keyring pair's secret key: about 9x faster than the
 * pair's own (pure-JS) `sign`, for nodes that sign every response. Checks once that the key signs for its address.
 */
export async function sr25519SignerFromPair(pair: ExportableSr25519Pair): Promise<EpistulaSigner> {
  if (pair.type !== 'sr25519') {
    throw new EpistulaError(
      EpistulaErrorCode.InvalidSigner,
      `Epistula needs an sr25519 key, not ${pair.type}`,
    );
  }
  await epistulaCryptoReady();
  let secretKey: Uint8Array;
  try {
    secretKey = decodePair(undefined, pair.encodePkcs8(), 'none').secretKey.slice();
  } catch (error) {
    throw new EpistulaError(EpistulaErrorCode.InvalidSigner, 'the pair does not give out its secret key', {
      cause: error,
    });
  }
  const publicKey = pair.publicKey.slice();
  const sign = (message: Uint8Array) => sr25519Sign(publicKey, secretKey, message);
  if (secretKey.length !== 64 || !sr25519Verify(sign(SIGNER_PROBE), SIGNER_PROBE, publicKey)) {
    throw new EpistulaError(
      EpistulaErrorCode.InvalidSigner,
      `the secret key does not sign for ${pair.address}`,
    );
  }
  return { address: pair.address, type: 'sr25519', sign };
}
