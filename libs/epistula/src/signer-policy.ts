/** Why a signer policy refused a hotkey; each maps to its own error code and HTTP status. */
export type SignerRefusalReason =
  /** Not registered on the subnet (401). */
  | 'unknown_signer'
  /** Registered without a validator permit (403). */
  | 'no_validator_permit'
  /** Stake below the minimum (403). */
  | 'insufficient_stake'
  /** Refused for a reason of the policy's own, e.g. a deny list (403). */
  | 'forbidden'
  /** The policy cannot decide now, e.g. the metagraph is stale (503). */
  | 'unavailable';

export type SignerDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: SignerRefusalReason; readonly message?: string };

/**
 * Decides whether a hotkey may send requests: registered on the subnet, holding a permit and enough stake. The proxy
 * plugs in its cached metagraph; answer synchronously when the data is in memory (the verifier then skips an await).
 */
export interface SignerPolicy {
  check(hotkey: string): SignerDecision | Promise<SignerDecision>;
}

/** What a metagraph knows about a registered hotkey. */
export interface SignerStanding {
  readonly validatorPermit: boolean;
  /** Stake in rao (1 TAO = 1e9 rao). */
  readonly stake: bigint;
}

export interface MetagraphSignerPolicyOptions {
  /** The standing of a hotkey, or undefined when it is not registered on the subnet. */
  lookup(hotkey: string): SignerStanding | undefined;
  /** Refuse signers without a validator permit (default true). */
  requireValidatorPermit?: boolean;
  /** Refuse signers with less stake, in rao (default 0). */
  minStake?: bigint;
}

const allowed: SignerDecision = Object.freeze({ allowed: true });

/** A policy over a metagraph look-up: registered (401), validator permit and minimum stake (403). */
export function metagraphSignerPolicy(options: MetagraphSignerPolicyOptions): SignerPolicy {
  const requirePermit = options.requireValidatorPermit ?? true;
  const minStake = options.minStake ?? 0n;
  return {
    check(hotkey) {
      const standing = options.lookup(hotkey);
      if (standing === undefined) {
        return {
          allowed: false,
          reason: 'unknown_signer',
          message: `${hotkey} is not registered on the subnet`,
        };
      }
      if (requirePermit && !standing.validatorPermit) {
        return {
          allowed: false,
          reason: 'no_validator_permit',
          message: `${hotkey} holds no validator permit`,
        };
      }
      if (standing.stake < minStake) {
        return {
          allowed: false,
          reason: 'insufficient_stake',
          message: `${hotkey} has ${standing.stake} rao staked, below the minimum of ${minStake} rao`,
        };
      }
      return allowed;
    },
  };
}

/** A policy that accepts only the given hotkeys (tests, private deployments). */
export function allowListSignerPolicy(hotkeys: Iterable<string>): SignerPolicy {
  const accepted = new Set(hotkeys);
  return {
    check: (hotkey) =>
      accepted.has(hotkey)
        ? allowed
        : { allowed: false, reason: 'unknown_signer', message: `${hotkey} is not an accepted signer` },
  };
}

/** A policy that accepts every hotkey: the signature is still checked, so only use it where anyone may call. */
export const allowAnySigner: SignerPolicy = { check: () => allowed };
