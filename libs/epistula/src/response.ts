import {
  epistulaCryptoReady,
  type EpistulaSigner,
  isEpistulaCryptoReady,
  publicKeyOfAddress,
  verifySr25519,
} from './crypto';
import { EpistulaError, EpistulaErrorCode } from './errors';
import { EPISTULA_VERSION, EpistulaHeader, type EpistulaHeaderSource, requireHeader } from './headers';
import {
  type EpistulaBody,
  epistulaResponseMessage,
  messageBytes,
  sha256Hex,
  ss58Pattern,
  uuidPattern,
} from './message';
import { assertTimestamp, assertUsableSigner, signatureHex } from './sign';
import { checkTimestamp, decodeSignature, type EpistulaSkewOptions, resolveSkew } from './verify';

/** The request a response answers: its UUID and the hotkey that signed it (a `SignedEpistulaRequest` fits). */
export interface EpistulaRequestReference {
  readonly uuid: string;
  readonly signedBy: string;
}

export interface SignEpistulaResponseOptions {
  /** The verified request being answered. */
  request: EpistulaRequestReference;
  /** Unix time in milliseconds; now by default. */
  timestamp?: number;
}

/**
 * Signs a response body with this node's hotkey. The headers mirror a request's: `Epistula-Version: 2`,
 * `Epistula-Timestamp` (the response's), `Epistula-Uuid` (the request's), `Epistula-Signed-By` (this node),
 * `Epistula-Signed-For` (the requester) and `Epistula-Response-Signature` over
 * `epistula-response.${sha256hex(body)}.${uuid}.${timestamp}.${signedFor}`.
 */
export function signEpistulaResponse(
  signer: EpistulaSigner,
  body: EpistulaBody,
  options: SignEpistulaResponseOptions,
): Record<string, string> {
  assertUsableSigner(signer);
  const { uuid, signedBy: requester } = options.request;
  if (!uuidPattern.test(uuid)) {
    throw new EpistulaError(EpistulaErrorCode.InvalidOptions, 'the request UUID is not a UUID');
  }
  if (!ss58Pattern.test(requester)) {
    throw new EpistulaError(EpistulaErrorCode.InvalidOptions, 'the requester is not an SS58 address');
  }
  const timestamp = options.timestamp ?? Date.now();
  assertTimestamp(timestamp);
  const timestampText = String(timestamp);
  const message = epistulaResponseMessage(sha256Hex(body), uuid, timestampText, requester);
  return {
    [EpistulaHeader.Version]: EPISTULA_VERSION,
    [EpistulaHeader.Timestamp]: timestampText,
    [EpistulaHeader.Uuid]: uuid,
    [EpistulaHeader.SignedBy]: signer.address,
    [EpistulaHeader.SignedFor]: requester,
    [EpistulaHeader.ResponseSignature]: signatureHex(signer, message),
  };
}

export interface VerifyEpistulaResponseOptions extends EpistulaSkewOptions {
  /** The hotkey the request was sent to (the miner's). */
  expectedSignedBy: string;
  /** The request this response answers. */
  request: EpistulaRequestReference;
}

/** What a verified response proved. */
export interface VerifiedEpistulaResponse {
  readonly signedBy: string;
  readonly uuid: string;
  /** Unix milliseconds, as signed. */
  readonly timestamp: number;
}

function mismatch(code: EpistulaErrorCode, message: string, header: string): EpistulaError {
  return new EpistulaError(code, message, { header, side: 'response' });
}

/**
 * Verifies a signed response (the validator side): signed by the miner asked, for this validator, answering this
 * request's UUID, fresh, and with a valid signature over the body bytes as received. Rejects with an EpistulaError
 * whose `httpStatus` is 502, since the peer answered badly.
 */
export async function verifyEpistulaResponse(
  headers: EpistulaHeaderSource,
  body: EpistulaBody,
  options: VerifyEpistulaResponseOptions,
): Promise<VerifiedEpistulaResponse> {
  const skew = resolveSkew(options);
  const publicKey = publicKeyOfAddress(options.expectedSignedBy);
  if (publicKey === undefined) {
    throw new EpistulaError(EpistulaErrorCode.InvalidOptions, 'expectedSignedBy is not an SS58 address');
  }
  const side = 'response';

  if (requireHeader(headers, EpistulaHeader.Version, side) !== EPISTULA_VERSION) {
    throw mismatch(
      EpistulaErrorCode.UnsupportedVersion,
      `${EpistulaHeader.Version} must be 2`,
      EpistulaHeader.Version,
    );
  }
  const signedFor = requireHeader(headers, EpistulaHeader.SignedFor, side);
  if (signedFor !== options.request.signedBy) {
    throw mismatch(
      EpistulaErrorCode.NotSignedForMe,
      `the response is not signed for ${options.request.signedBy}`,
      EpistulaHeader.SignedFor,
    );
  }
  const signedBy = requireHeader(headers, EpistulaHeader.SignedBy, side);
  if (signedBy !== options.expectedSignedBy) {
    throw mismatch(
      EpistulaErrorCode.WrongSigner,
      `the response is not signed by ${options.expectedSignedBy}, the hotkey the request went to`,
      EpistulaHeader.SignedBy,
    );
  }
  const uuid = requireHeader(headers, EpistulaHeader.Uuid, side);
  if (uuid !== options.request.uuid) {
    throw mismatch(
      EpistulaErrorCode.UuidMismatch,
      `the response answers another request than ${options.request.uuid}`,
      EpistulaHeader.Uuid,
    );
  }
  const timestampText = requireHeader(headers, EpistulaHeader.Timestamp, side);
  const timestamp = checkTimestamp(timestampText, skew, side);
  const signature = decodeSignature(
    requireHeader(headers, EpistulaHeader.ResponseSignature, side),
    EpistulaHeader.ResponseSignature,
    side,
  );
  const message = messageBytes(epistulaResponseMessage(sha256Hex(body), uuid, timestampText, signedFor));
  if (!isEpistulaCryptoReady()) await epistulaCryptoReady();
  if (!verifySr25519(signature, message, publicKey, skew.acceptWrapped)) {
    throw mismatch(
      EpistulaErrorCode.BadSignature,
      `the response signature does not match the body and ${signedBy}`,
      EpistulaHeader.ResponseSignature,
    );
  }
  return { signedBy, uuid, timestamp };
}
