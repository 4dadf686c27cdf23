import { createHash, type Hash } from 'node:crypto';
import { EpistulaError, EpistulaErrorCode } from './errors';

/** The SHA-256 of a body, computed beforehand (for example while it streamed). */
export interface EpistulaBodyDigest {
  /** Lower-case hex of the SHA-256 of the body bytes as sent. */
  readonly sha256Hex: string;
}

/** A body as sent: its bytes (a string is taken as its UTF-8 bytes), or its digest. */
export type EpistulaBody = Uint8Array | string | EpistulaBodyDigest;

/** Prefix of response messages, so a signed response can never pass as a signed request or vice versa. */
export const RESPONSE_MESSAGE_PREFIX = 'epistula-response';

const digestPattern = /^[0-9a-f]{64}$/;

/** Lower-case hex SHA-256 of the body bytes as sent. */
export function sha256Hex(body: EpistulaBody): string {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    return createHash('sha256').update(body).digest('hex');
  }
  if (!digestPattern.test(body.sha256Hex)) {
    throw new EpistulaError(
      EpistulaErrorCode.InvalidOptions,
      'sha256Hex must be 64 lower-case hex characters',
    );
  }
  return body.sha256Hex;
}

/** Incremental SHA-256 of a body that arrives in chunks; `digest()` gives what signing and verifying accept. */
export interface EpistulaBodyHasher {
  update(chunk: Uint8Array | string): EpistulaBodyHasher;
  digest(): EpistulaBodyDigest;
}

/** Starts an incremental body digest, for bodies that stream. */
export function createBodyHasher(): EpistulaBodyHasher {
  const hash: Hash = createHash('sha256');
  const hasher: EpistulaBodyHasher = {
    update(chunk) {
      hash.update(chunk);
      return hasher;
    },
    digest: () => ({ sha256Hex: hash.digest('hex') }),
  };
  return hasher;
}

/** The text peers sign for a request: `${sha256hex(body)}.${uuid}.${timestamp}.${signedFor ?? ''}`. */
export function epistulaRequestMessage(
  bodySha256Hex: string,
  uuid: string,
  timestamp: string,
  signedFor: string | undefined,
): string {
  return `${bodySha256Hex}.${uuid}.${timestamp}.${signedFor ?? ''}`;
}

/**
 * The text a node signs for a response: the request form with a fixed prefix, over the response body, the UUID of the
 * request it answers, the response's own timestamp and the requester's hotkey.
 */
export function epistulaResponseMessage(
  bodySha256Hex: string,
  requestUuid: string,
  timestamp: string,
  requestSignedBy: string,
): string {
  return `${RESPONSE_MESSAGE_PREFIX}.${bodySha256Hex}.${requestUuid}.${timestamp}.${requestSignedBy}`;
}

/** The bytes actually signed: the message's UTF-8 encoding, as peers' `Keypair.sign(str)` does. */
export function messageBytes(message: string): Uint8Array {
  return Buffer.from(message, 'utf8');
}

/** A canonical UUID (RFC 9562 variant; peers send version 4, some version 7). */
export const uuidPattern =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

/** Unix time in milliseconds as decimal digits (16 digits reach the year 318857). */
export const timestampPattern = /^[0-9]{1,16}$/;

/** `0x` and the 64 signature bytes in hex. */
export const signaturePattern = /^0x[0-9a-fA-F]{128}$/;

/** Base58 characters of an SS58 address of a 32-byte key (1- or 2-byte prefix). */
export const ss58Pattern = /^[1-9A-HJ-NP-Za-km-z]{46,50}$/;
