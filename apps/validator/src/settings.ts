import type { ValidatorConfig } from '@vstack/config';

/** How the validator works, as the config asks for it. */
export interface ValidatorSettings {
  /** Subnet whose epoch events trigger a weights job. */
  readonly netuid: number;
  readonly organicConcurrency: number;
  readonly syntheticConcurrency: number;
  /** Miners asked for each synthetic task. */
  readonly syntheticMiners: number;
  /** Miners an organic task may be sent to in all, the hedge included. */
  readonly organicAttempts: number;
  /** Share of a task type's timeout after which an unanswered organic task is hedged; 1 or more never hedges. */
  readonly hedgeDelayShare: number;
  /** Share of organic tasks whose miner answers go to scoring. */
  readonly organicScoringShare: number;
  /** Share of completed organic requests published for synthesizing to replay. */
  readonly organicSampleShare: number;
  readonly minerConnections: number;
  readonly maxResponseBytes: number;
  readonly rpcTimeoutMs: number;
  /** The sidecar identity of the weights jobs; the sidecar's default when absent. */
  readonly weightsIdentity: string | undefined;
  /**
   * How long a stopping validator lets the tasks in hand finish before it gives them back to the queue: the
   * shutdown budget less a margin to give them back and close the connections before the forced exit.
   */
  readonly releaseAfterMs: number;
}

/** The settings of a validated config. */
export function validatorSettings(config: ValidatorConfig): ValidatorSettings {
  const shutdownMs = config.SHUTDOWN_TIMEOUT_MS;
  return {
    netuid: config.NETUID,
    organicConcurrency: config.VALIDATOR_ORGANIC_CONCURRENCY,
    syntheticConcurrency: config.VALIDATOR_SYNTHETIC_CONCURRENCY,
    syntheticMiners: config.VALIDATOR_SYNTHETIC_MINERS,
    organicAttempts: config.VALIDATOR_ORGANIC_ATTEMPTS,
    hedgeDelayShare: config.VALIDATOR_HEDGE_DELAY_SHARE,
    organicScoringShare: config.VALIDATOR_ORGANIC_SCORING_SHARE,
    organicSampleShare: config.VALIDATOR_ORGANIC_SAMPLE_SHARE,
    minerConnections: config.VALIDATOR_MINER_CONNECTIONS,
    maxResponseBytes: config.VALIDATOR_MAX_RESPONSE_BYTES,
    rpcTimeoutMs: config.VALIDATOR_RPC_TIMEOUT_MS,
    weightsIdentity: config.VALIDATOR_WEIGHTS_IDENTITY,
    releaseAfterMs: Math.max(0, shutdownMs - Math.min(2_000, Math.floor(shutdownMs / 4))),
  };
}

/** When to hedge an organic task of a task type with this timeout, in ms; undefined when hedging is off. */
export function hedgeDelayMs(settings: Pick<ValidatorSettings, 'hedgeDelayShare'>, timeoutMs: number) {
  if (settings.hedgeDelayShare >= 1) return undefined;
  return Math.round(settings.hedgeDelayShare * timeoutMs);
}
