/** The current time in unix ms; tests pass their own. */
export type Clock = () => number;

/** Injection tokens of what scoring reads and writes besides its own code. */
export const SCORE_STORE = Symbol('scoring:score-store');
export const CHAIN_VIEW = Symbol('scoring:chain-view');
export const JOB_SENDER = Symbol('scoring:job-sender');
export const CLOCK = Symbol('scoring:clock');
export const RANDOM = Symbol('scoring:random');
export const REFERENCE_CONTEXT = Symbol('scoring:reference-context');
export const SCORING_SETTINGS = Symbol('scoring:settings');

/** A neuron of the subnet: the uid and the hotkey that holds it. */
export interface SubnetNeuron {
  readonly uid: number;
  readonly hotkey: string;
}

/** The subnet rules the weight vector must satisfy. */
export interface WeightRules {
  /** MaxWeightsLimit: the largest weight one uid may get, as u16 (65535 = no limit). */
  readonly maxWeightsLimit: number;
  /** MinAllowedWeights: how many uids must get a non-zero weight. */
  readonly minAllowedWeights: number;
}

/** What scoring reads from the chain (through the sidecar). */
export interface ChainView {
  /** Every neuron of the subnet, at the sidecar's latest block. */
  neurons(netuid: number): Promise<SubnetNeuron[]>;
  weightRules(netuid: number): Promise<WeightRules>;
}
