/**
 * @vstack/epistula: Epistula v2 request signing (validator side) and verification (miner side) with sr25519, optional
 * response signing, the replay cache, signer policies and the Nest guard.
 */
export {
  createSr25519Signer,
  type EpistulaSigner,
  epistulaCryptoReady,
  type ExportableSr25519Pair,
  isEpistulaCryptoReady,
  publicKeyOfAddress,
  sr25519SignerFromPair,
} from './crypto';
export { EpistulaExceptionFilter } from './epistula.filter';
export {
  EpistulaGuard,
  type EpistulaHttpRequest,
  rawBodyOf,
  SkipEpistula,
  VerifiedEpistula,
} from './epistula.guard';
export {
  EPISTULA_VERIFIER_OPTIONS,
  EpistulaModule,
  type EpistulaModuleAsyncOptions,
} from './epistula.module';
export {
  EpistulaError,
  EpistulaErrorCode,
  type EpistulaErrorOptions,
  type EpistulaSide,
  epistulaHttpStatus,
  isEpistulaError,
} from './errors';
export {
  EPISTULA_VERSION,
  EpistulaHeader,
  type EpistulaHeaderName,
  type EpistulaHeaderSource,
} from './headers';
export {
  createBodyHasher,
  type EpistulaBody,
  type EpistulaBodyDigest,
  type EpistulaBodyHasher,
  epistulaRequestMessage,
  epistulaResponseMessage,
  sha256Hex,
} from './message';
export {
  MemoryReplayCache,
  type MemoryReplayCacheOptions,
  type RedisReplayCacheOptions,
  RedisReplayCache,
  type RedisSetNxClient,
  type ReplayCache,
} from './replay-cache';
export {
  type EpistulaRequestReference,
  signEpistulaResponse,
  type SignEpistulaResponseOptions,
  type VerifiedEpistulaResponse,
  verifyEpistulaResponse,
  type VerifyEpistulaResponseOptions,
} from './response';
export {
  type SignatureChecker,
  SignatureWorkerPool,
  type SignatureWorkerPoolOptions,
} from './signature-workers';
export { signEpistulaRequest, type SignEpistulaRequestOptions, type SignedEpistulaRequest } from './sign';
export {
  allowAnySigner,
  allowListSignerPolicy,
  metagraphSignerPolicy,
  type MetagraphSignerPolicyOptions,
  type SignerDecision,
  type SignerPolicy,
  type SignerRefusalReason,
  type SignerStanding,
} from './signer-policy';
export {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  type EpistulaSkewOptions,
  EpistulaVerifier,
  type EpistulaVerifierOptions,
  type VerifiedEpistulaRequest,
  verifyEpistulaRequest,
} from './verify';
