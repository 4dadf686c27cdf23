import {
  epistulaCryptoReady,
  isEpistulaCryptoReady,
  PublicKeyCache,
  publicKeyOfAddress,
  verifySr25519,
} from './crypto';
import { EpistulaError, EpistulaErrorCode, hasHttpMapping } from './errors';
import {
  EPISTULA_VERSION,
  EpistulaHeader,
  type EpistulaHeaderSource,
  readHeader,
  requireHeader,
} from './headers';
import {
  type EpistulaBody,
  epistulaRequestMessage,
  messageBytes,
  sha256Hex,
  signaturePattern,
  ss58Pattern,
  timestampPattern,
  uuidPattern,
} from './message';
import type { ReplayCache } from './replay-cache';
import type { SignatureChecker } from './signature-workers';
import type { SignerDecision, SignerPolicy, SignerRefusalReason } from './signer-policy';

/** Peers accept requests up to 8 s old. */
export const DEFAULT_MAX_AGE_MS = 8_000;
/** Clocks drift; a request may be stamped up to 2 s ahead of ours. */
export const DEFAULT_MAX_FUTURE_MS = 2_000;

/** Allowed clock skew between signer and verifier. */
export interface EpistulaSkewOptions {
  /** How old a timestamp may be, in ms (default 8000, as peers). */
  maxAgeMs?: number;
  /** How far ahead of this node's clock a timestamp may be, in ms (default 2000). */
  maxFutureMs?: number;
  /** Unix milliseconds; `Date.now` by default. */
  clock?: () => number;
  /** Also accept signatures over `<Bytes>message</Bytes>` (browser wallets), as peers do (default true). */
  acceptWrappedSignatures?: boolean;
}

export interface EpistulaVerifierOptions extends EpistulaSkewOptions {
  /**
   * This node's hotkey. Requests must name it in `Epistula-Signed-For`, so one signed for another miner cannot be
   * replayed here. `null` accepts requests signed for anyone or no one: only for services that are not addressed by
   * hotkey.
   */
  hotkey: string | null;
  /** Registration, permit and stake of signers (the proxy's cached metagraph). */
  signerPolicy: SignerPolicy;
  /** Where (signer, UUID) pairs are remembered for the skew window. */
  replayCache: ReplayCache;
  /** Where signatures are checked: on the calling thread unless given (a `SignatureWorkerPool` for threads). */
  signatureChecker?: SignatureChecker;
}

/** What a verified request proved. */
export interface VerifiedEpistulaRequest {
  /** The hotkey that signed the request. */
  readonly signedBy: string;
  readonly signedFor: string | undefined;
  readonly uuid: string;
  /** Unix milliseconds, as signed. */
  readonly timestamp: number;
}

interface ResolvedSkew {
  readonly maxAgeMs: number;
  readonly maxFutureMs: number;
  readonly clock: () => number;
  readonly acceptWrapped: boolean;
}

interface ResolvedVerifierOptions extends ResolvedSkew {
  readonly hotkey: string | null;
  readonly policy: SignerPolicy;
  readonly replayCache: ReplayCache;
  readonly signatureChecker: SignatureChecker | undefined;
  /** How long a (signer, UUID) pair must be remembered: the whole span a timestamp is accepted for. */
  readonly windowMs: number;
}

function invalidOptions(message: string): EpistulaError {
  return new EpistulaError(EpistulaErrorCode.InvalidOptions, message);
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 0) {
    throw invalidOptions(`${name} must be a non-negative integer of milliseconds, not ${resolved}`);
  }
  return resolved;
}

/** Validates skew options once and fills in the defaults. */
export function resolveSkew(options: EpistulaSkewOptions): ResolvedSkew {
  return {
    maxAgeMs: nonNegativeInteger(options.maxAgeMs, DEFAULT_MAX_AGE_MS, 'maxAgeMs'),
    maxFutureMs: nonNegativeInteger(options.maxFutureMs, DEFAULT_MAX_FUTURE_MS, 'maxFutureMs'),
    clock: options.clock ?? Date.now,
    acceptWrapped: options.acceptWrappedSignatures ?? true,
  };
}

function resolveVerifierOptions(options: EpistulaVerifierOptions): ResolvedVerifierOptions {
  if (options.hotkey !== null && publicKeyOfAddress(options.hotkey) === undefined) {
    throw invalidOptions('hotkey must be the SS58 address of this node or null');
  }
  if (typeof options.signerPolicy.check !== 'function') throw invalidOptions('signerPolicy has no check()');
  if (typeof options.replayCache.firstSeen !== 'function')
    throw invalidOptions('replayCache has no firstSeen()');
  const skew = resolveSkew(options);
  return {
    ...skew,
    hotkey: options.hotkey,
    policy: options.signerPolicy,
    replayCache: options.replayCache,
    signatureChecker: options.signatureChecker,
    windowMs: Math.max(1, skew.maxAgeMs + skew.maxFutureMs),
  };
}

/** Public keys of signers the policies accepted, shared by every verifier of the process. */
export const signerPublicKeys = new PublicKeyCache();

function refuse(code: EpistulaErrorCode, message: string, header?: string): EpistulaError {
  return new EpistulaError(code, message, header === undefined ? {} : { header });
}

const refusalCodes: Record<SignerRefusalReason, EpistulaErrorCode> = {
  unknown_signer: EpistulaErrorCode.UnknownSigner,
  no_validator_permit: EpistulaErrorCode.NoValidatorPermit,
  insufficient_stake: EpistulaErrorCode.InsufficientStake,
  forbidden: EpistulaErrorCode.SignerForbidden,
  unavailable: EpistulaErrorCode.SignerLookupUnavailable,
};

const refusalMessages: Record<SignerRefusalReason, string> = {
  unknown_signer: 'the signer is not registered on the subnet',
  no_validator_permit: 'the signer holds no validator permit',
  insufficient_stake: 'the signer has less than the minimum stake',
  forbidden: 'the signer is not accepted',
  unavailable: 'signers cannot be checked right now',
};

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

async function settleDecision(pending: Promise<SignerDecision>): Promise<SignerDecision> {
  try {
    return await pending;
  } catch (error) {
    throw wrapLookupError(error);
  }
}

function wrapLookupError(error: unknown): Error {
  // A policy may refuse with its own typed error (the proxy's stale-metagraph 503); anything else is an outage.
  if (hasHttpMapping(error)) return error;
  return new EpistulaError(EpistulaErrorCode.SignerLookupUnavailable, 'the signer policy failed', {
    cause: error,
  });
}

function wrapReplayError(error: unknown): Error {
  if (hasHttpMapping(error)) return error;
  return new EpistulaError(EpistulaErrorCode.ReplayCacheUnavailable, 'the replay cache failed', {
    cause: error,
  });
}

async function settleFirstSeen(pending: Promise<boolean>): Promise<boolean> {
  try {
    return await pending;
  } catch (error) {
    throw wrapReplayError(error);
  }
}

/** Checks `Epistula-Timestamp` against the clock; returns its value in milliseconds. */
export function checkTimestamp(text: string, skew: ResolvedSkew, side: 'request' | 'response'): number {
  const header = EpistulaHeader.Timestamp;
  if (!timestampPattern.test(text)) {
    throw new EpistulaError(
      EpistulaErrorCode.InvalidTimestamp,
      `${header} must be unix time in milliseconds`,
      {
        header,
        side,
      },
    );
  }
  const timestamp = Number(text);
  const age = skew.clock() - timestamp;
  if (age > skew.maxAgeMs) {
    throw new EpistulaError(
      EpistulaErrorCode.StaleTimestamp,
      `the ${side} is ${age} ms old; at most ${skew.maxAgeMs} ms is accepted`,
      { header, side },
    );
  }
  if (-age > skew.maxFutureMs) {
    throw new EpistulaError(
      EpistulaErrorCode.FutureTimestamp,
      `the ${side} is stamped ${-age} ms ahead of this node's clock; at most ${skew.maxFutureMs} ms is accepted`,
      { header, side },
    );
  }
  return timestamp;
}

/** Decodes `0x` + 128 hex characters into the 64 signature bytes. */
export function decodeSignature(text: string, header: string, side: 'request' | 'response'): Uint8Array {
  if (!signaturePattern.test(text)) {
    throw new EpistulaError(
      EpistulaErrorCode.InvalidSignatureFormat,
      `${header} must be 0x followed by 128 hex characters`,
      { header, side },
    );
  }
  return Buffer.from(text.slice(2), 'hex');
}

async function verifyResolved(
  options: ResolvedVerifierOptions,
  headers: EpistulaHeaderSource,
  body: EpistulaBody,
): Promise<VerifiedEpistulaRequest> {
  const side = 'request';

  const version = requireHeader(headers, EpistulaHeader.Version, side);
  if (version !== EPISTULA_VERSION) {
    throw refuse(
      EpistulaErrorCode.UnsupportedVersion,
      `${EpistulaHeader.Version} must be 2`,
      EpistulaHeader.Version,
    );
  }

  let signedFor = readHeader(headers, EpistulaHeader.SignedFor, side);
  if (signedFor === '') signedFor = undefined;
  if (signedFor !== undefined && !ss58Pattern.test(signedFor)) {
    throw refuse(
      EpistulaErrorCode.InvalidSignedFor,
      `${EpistulaHeader.SignedFor} must be an SS58 address`,
      EpistulaHeader.SignedFor,
    );
  }
  if (options.hotkey !== null) {
    if (signedFor === undefined) {
      throw refuse(
        EpistulaErrorCode.MissingHeader,
        `the ${EpistulaHeader.SignedFor} header is missing; requests must be signed for ${options.hotkey}`,
        EpistulaHeader.SignedFor,
      );
    }
    if (signedFor !== options.hotkey) {
      throw refuse(
        EpistulaErrorCode.NotSignedForMe,
        `the request is signed for ${signedFor}, not for this node's hotkey ${options.hotkey}`,
        EpistulaHeader.SignedFor,
      );
    }
  }

  const signedBy = requireHeader(headers, EpistulaHeader.SignedBy, side);
  let publicKey = signerPublicKeys.get(signedBy);
  const known = publicKey !== undefined;
  if (publicKey === undefined) {
    publicKey = publicKeyOfAddress(signedBy);
    if (publicKey === undefined) {
      throw refuse(
        EpistulaErrorCode.InvalidSignedBy,
        `${EpistulaHeader.SignedBy} must be the SS58 address of an sr25519 hotkey`,
        EpistulaHeader.SignedBy,
      );
    }
  }

  let decision: SignerDecision | Promise<SignerDecision>;
  try {
    decision = options.policy.check(signedBy);
  } catch (error) {
    throw wrapLookupError(error);
  }
  if (isPromise(decision)) decision = await settleDecision(decision);
  if (!decision.allowed) {
    throw refuse(
      refusalCodes[decision.reason],
      decision.message ?? refusalMessages[decision.reason],
      EpistulaHeader.SignedBy,
    );
  }
  // Only keys of accepted signers are kept, so strangers cannot push them out.
  if (!known) signerPublicKeys.set(signedBy, publicKey);

  const timestampText = requireHeader(headers, EpistulaHeader.Timestamp, side);
  const timestamp = checkTimestamp(timestampText, options, side);

  const uuid = requireHeader(headers, EpistulaHeader.Uuid, side);
  if (!uuidPattern.test(uuid)) {
    throw refuse(EpistulaErrorCode.InvalidUuid, `${EpistulaHeader.Uuid} must be a UUID`, EpistulaHeader.Uuid);
  }

  const signatureText = requireHeader(headers, EpistulaHeader.RequestSignature, side);
  const signature = decodeSignature(signatureText, EpistulaHeader.RequestSignature, side);
  const message = messageBytes(epistulaRequestMessage(sha256Hex(body), uuid, timestampText, signedFor));
  let valid: boolean;
  if (options.signatureChecker === undefined) {
    if (!isEpistulaCryptoReady()) await epistulaCryptoReady();
    valid = verifySr25519(signature, message, publicKey, options.acceptWrapped);
  } else {
    valid = await options.signatureChecker.check(signature, message, publicKey, options.acceptWrapped);
  }
  if (!valid) {
    throw refuse(
      EpistulaErrorCode.BadSignature,
      `the signature does not match the request and ${signedBy}`,
      EpistulaHeader.RequestSignature,
    );
  }

  let first: boolean | Promise<boolean>;
  try {
    first = options.replayCache.firstSeen(signedBy, uuid, options.windowMs);
  } catch (error) {
    throw wrapReplayError(error);
  }
  if (isPromise(first)) first = await settleFirstSeen(first);
  if (!first) {
    throw refuse(
      EpistulaErrorCode.Replayed,
      `${signedBy} already sent a request with this ${EpistulaHeader.Uuid}`,
      EpistulaHeader.Uuid,
    );
  }

  return { signedBy, signedFor, uuid, timestamp };
}

/**
 * Verifies Epistula v2 requests with options checked once: the miner side. Construct one per node and share it.
 */
export class EpistulaVerifier {
  private readonly options: ResolvedVerifierOptions;

  constructor(options: EpistulaVerifierOptions) {
    this.options = resolveVerifierOptions(options);
  }

  /** This node's hotkey, or null when requests may be signed for anyone. */
  get hotkey(): string | null {
    return this.options.hotkey;
  }

  /** How long (signer, UUID) pairs are remembered: the whole span a timestamp is accepted for. */
  get replayWindowMs(): number {
    return this.options.windowMs;
  }

  /** Checks a request; resolves with what it proved or rejects with the EpistulaError of the first failed check. */
  verify(headers: EpistulaHeaderSource, body: EpistulaBody): Promise<VerifiedEpistulaRequest> {
    return verifyResolved(this.options, headers, body);
  }
}

const resolvedByOptions = new WeakMap<EpistulaVerifierOptions, ResolvedVerifierOptions>();

/**
 * Verifies one Epistula v2 request over the body bytes as received, in peers' order: version (400), signed for this
 * node (400), signer registered (401), permit and stake (403), timestamp within the skew (400), signature (401), UUID
 * not seen before (409); malformed headers are refused with 400 first. Rejects with an EpistulaError. Options are
 * validated on the first call with each options object, so pass the same object every time.
 */
export async function verifyEpistulaRequest(
  headers: EpistulaHeaderSource,
  body: EpistulaBody,
  options: EpistulaVerifierOptions,
): Promise<VerifiedEpistulaRequest> {
  let resolved = resolvedByOptions.get(options);
  if (resolved === undefined) {
    resolved = resolveVerifierOptions(options);
    resolvedByOptions.set(options, resolved);
  }
  return verifyResolved(resolved, headers, body);
}
