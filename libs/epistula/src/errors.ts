/**
 * Why an Epistula request or response was refused, or why signing could not proceed. Sent to clients as the
 * `code` of the error body: stored data that callers branch on, never rename.
 */
export enum EpistulaErrorCode {
  /** A required Epistula header is absent (`details.header` names it). */
  MissingHeader = 'epistula_missing_header',
  /** An Epistula header was sent more than once. */
  DuplicateHeader = 'epistula_duplicate_header',
  /** `Epistula-Version` is not `2`. */
  UnsupportedVersion = 'epistula_unsupported_version',
  /** `Epistula-Signed-For` is not an SS58 address. */
  InvalidSignedFor = 'epistula_invalid_signed_for',
  /** `Epistula-Signed-For` names another hotkey than this node's. */
  NotSignedForMe = 'epistula_not_signed_for_me',
  /** `Epistula-Signed-By` is not an SS58 address of a 32-byte public key. */
  InvalidSignedBy = 'epistula_invalid_signed_by',
  /** The signer is not registered on the subnet. */
  UnknownSigner = 'epistula_unknown_signer',
  /** The signer holds no validator permit. */
  NoValidatorPermit = 'epistula_no_validator_permit',
  /** The signer's stake is below the minimum. */
  InsufficientStake = 'epistula_insufficient_stake',
  /** The signer policy refused the signer for a reason of its own. */
  SignerForbidden = 'epistula_signer_forbidden',
  /** The signer policy cannot decide now (metagraph missing or stale). */
  SignerLookupUnavailable = 'epistula_signer_lookup_unavailable',
  /** `Epistula-Timestamp` is not a unix time in milliseconds. */
  InvalidTimestamp = 'epistula_invalid_timestamp',
  /** `Epistula-Timestamp` is older than the allowed skew. */
  StaleTimestamp = 'epistula_stale_timestamp',
  /** `Epistula-Timestamp` is further ahead than the allowed skew. */
  FutureTimestamp = 'epistula_future_timestamp',
  /** `Epistula-Uuid` is not a UUID in canonical form. */
  InvalidUuid = 'epistula_invalid_uuid',
  /** The signature header is not `0x` followed by 128 hex characters. */
  InvalidSignatureFormat = 'epistula_invalid_signature_format',
  /** The signature does not match the message and the signer's public key. */
  BadSignature = 'epistula_bad_signature',
  /** This signer already sent a request with this UUID within the window. */
  Replayed = 'epistula_replayed',
  /** The replay cache could not be reached, so freshness cannot be proved. */
  ReplayCacheUnavailable = 'epistula_replay_cache_unavailable',
  /** The sr25519 WebAssembly module could not be initialised. */
  CryptoUnavailable = 'epistula_crypto_unavailable',
  /** The request has a body but the server did not keep its raw bytes (see the guard's documentation). */
  RawBodyUnavailable = 'epistula_raw_body_unavailable',
  /** A response is signed by another hotkey than the one the request went to. */
  WrongSigner = 'epistula_wrong_signer',
  /** A response carries another UUID than the request it answers. */
  UuidMismatch = 'epistula_uuid_mismatch',
  /** A signer that cannot produce Epistula signatures (not sr25519, bad address). */
  InvalidSigner = 'epistula_invalid_signer',
  /** Options that cannot work (negative skew, bad hotkey, ...). */
  InvalidOptions = 'epistula_invalid_options',
}

/** Whether an error concerns a request this node received or a response it received from a peer. */
export type EpistulaSide = 'request' | 'response';

const requestStatus: Record<EpistulaErrorCode, number> = {
  [EpistulaErrorCode.MissingHeader]: 400,
  [EpistulaErrorCode.DuplicateHeader]: 400,
  [EpistulaErrorCode.UnsupportedVersion]: 400,
  [EpistulaErrorCode.InvalidSignedFor]: 400,
  [EpistulaErrorCode.NotSignedForMe]: 400,
  [EpistulaErrorCode.InvalidSignedBy]: 400,
  [EpistulaErrorCode.UnknownSigner]: 401,
  [EpistulaErrorCode.NoValidatorPermit]: 403,
  [EpistulaErrorCode.InsufficientStake]: 403,
  [EpistulaErrorCode.SignerForbidden]: 403,
  [EpistulaErrorCode.SignerLookupUnavailable]: 503,
  [EpistulaErrorCode.InvalidTimestamp]: 400,
  [EpistulaErrorCode.StaleTimestamp]: 400,
  [EpistulaErrorCode.FutureTimestamp]: 400,
  [EpistulaErrorCode.InvalidUuid]: 400,
  [EpistulaErrorCode.InvalidSignatureFormat]: 400,
  [EpistulaErrorCode.BadSignature]: 401,
  [EpistulaErrorCode.Replayed]: 409,
  [EpistulaErrorCode.ReplayCacheUnavailable]: 503,
  [EpistulaErrorCode.CryptoUnavailable]: 503,
  [EpistulaErrorCode.RawBodyUnavailable]: 500,
  [EpistulaErrorCode.WrongSigner]: 401,
  [EpistulaErrorCode.UuidMismatch]: 400,
  [EpistulaErrorCode.InvalidSigner]: 500,
  [EpistulaErrorCode.InvalidOptions]: 500,
};

/** The HTTP status a request refusal with this code is answered with. */
export function epistulaHttpStatus(code: EpistulaErrorCode): number {
  return requestStatus[code];
}

export interface EpistulaErrorOptions {
  /** The Epistula header at fault, when there is one. */
  header?: string;
  /** `response` when the error is about a peer's response (HTTP status 502: the peer answered badly). */
  side?: EpistulaSide;
  cause?: unknown;
}

/**
 * The error every function of this lib throws. `code` and `httpStatus` are what the stack's HTTP filter turns into
 * `{ "error": { "code", "message" } }`; messages name headers and hotkeys but never contain signatures or bodies.
 */
export class EpistulaError extends Error {
  readonly httpStatus: number;
  readonly side: EpistulaSide;
  readonly details?: { header: string };

  constructor(
    readonly code: EpistulaErrorCode,
    message: string,
    options: EpistulaErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EpistulaError';
    this.side = options.side ?? 'request';
    this.httpStatus = this.side === 'response' ? 502 : requestStatus[code];
    if (options.header !== undefined) this.details = { header: options.header };
  }
}

/** True when an error is an EpistulaError, optionally with the given code. */
export function isEpistulaError(error: unknown, code?: EpistulaErrorCode): error is EpistulaError {
  return error instanceof EpistulaError && (code === undefined || error.code === code);
}

/** True when an error already carries its own `code` and `httpStatus` (another lib's typed error). */
export function hasHttpMapping(error: unknown): error is Error & { code: string; httpStatus: number } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { httpStatus?: unknown }).httpStatus === 'number'
  );
}
