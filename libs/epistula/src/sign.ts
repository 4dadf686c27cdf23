import { randomUUID } from 'node:crypto';
import type { EpistulaSigner } from './crypto';
import { EpistulaError, EpistulaErrorCode } from './errors';
import { EPISTULA_VERSION, EpistulaHeader } from './headers';
import {
  type EpistulaBody,
  epistulaRequestMessage,
  messageBytes,
  sha256Hex,
  ss58Pattern,
  uuidPattern,
} from './message';

export interface SignEpistulaRequestOptions {
  /** The receiver's hotkey. Receivers check it, so a request is only good for the node it names. */
  signedFor?: string;
  /** Unix time in milliseconds; now by default. */
  timestamp?: number;
  /** A fresh random (v4) UUID by default. */
  uuid?: string;
}

/** A signed request: the headers to send with exactly the body that was signed, and what the response must echo. */
export interface SignedEpistulaRequest {
  /** `Epistula-*` headers, spelled as peers spell them. */
  headers: Record<string, string>;
  uuid: string;
  timestamp: number;
  signedBy: string;
  signedFor: string | undefined;
}

function invalid(message: string, code = EpistulaErrorCode.InvalidOptions): EpistulaError {
  return new EpistulaError(code, message);
}

/** Checks a signer once per call; cheap enough not to cache. */
export function assertUsableSigner(signer: EpistulaSigner): void {
  if (signer.type !== undefined && signer.type !== 'sr25519') {
    throw invalid(`Epistula needs an sr25519 key, not ${signer.type}`, EpistulaErrorCode.InvalidSigner);
  }
  if (!ss58Pattern.test(signer.address)) {
    throw invalid('the signer has no SS58 address', EpistulaErrorCode.InvalidSigner);
  }
}

/** Signs with the signer and returns `0x` + hex of the 64-byte signature. */
export function signatureHex(signer: EpistulaSigner, message: string): string {
  const signature = signer.sign(messageBytes(message));
  if (signature.length !== 64) {
    throw invalid(
      `the signer returned ${signature.length} bytes, not a 64-byte sr25519 signature`,
      EpistulaErrorCode.InvalidSigner,
    );
  }
  return `0x${Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('hex')}`;
}

/** Checks a caller-chosen timestamp: a non-negative integer number of milliseconds. */
export function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalid(`the timestamp must be a non-negative integer of milliseconds, not ${timestamp}`);
  }
}

/** Signs a request body as peers do (Epistula v2) and returns the headers to send with it. */
export function signEpistulaRequest(
  signer: EpistulaSigner,
  body: EpistulaBody,
  options: SignEpistulaRequestOptions = {},
): SignedEpistulaRequest {
  assertUsableSigner(signer);
  const { signedFor } = options;
  if (signedFor !== undefined && !ss58Pattern.test(signedFor)) {
    throw invalid('signedFor must be an SS58 address');
  }
  const uuid = options.uuid ?? randomUUID();
  if (!uuidPattern.test(uuid)) throw invalid('uuid must be a UUID in canonical form');
  const timestamp = options.timestamp ?? Date.now();
  assertTimestamp(timestamp);

  const timestampText = String(timestamp);
  const message = epistulaRequestMessage(sha256Hex(body), uuid, timestampText, signedFor);
  const headers: Record<string, string> = {
    [EpistulaHeader.Version]: EPISTULA_VERSION,
    [EpistulaHeader.Timestamp]: timestampText,
    [EpistulaHeader.Uuid]: uuid,
    [EpistulaHeader.SignedBy]: signer.address,
  };
  if (signedFor !== undefined) headers[EpistulaHeader.SignedFor] = signedFor;
  headers[EpistulaHeader.RequestSignature] = signatureHex(signer, message);
  return { headers, uuid, timestamp, signedBy: signer.address, signedFor };
}
