import { z } from 'zod';
import { defineEvents, defineRpc } from './define';
import { axonSchema, blockHash, blockNumber, netuid, rao, ss58Address, uid, unitInterval } from './wire';

/** The chain head as the sidecar last saw it. */
export const chainHeadSchema = z.object({
  block: blockNumber,
  hash: blockHash,
  /** Block timestamp, unix ms. */
  timestamp: z.number().int().nonnegative(),
});

/** One neuron of a subnet's metagraph. */
export const neuronSchema = z.object({
  uid,
  hotkey: ss58Address,
  coldkey: ss58Address,
  active: z.boolean(),
  axon: axonSchema,
  /** Total stake on the hotkey. */
  stake: rao,
  validatorPermit: z.boolean(),
  incentive: unitInterval,
  consensus: unitInterval,
  dividends: unitInterval,
  /** Emission per tempo. */
  emission: rao,
  validatorTrust: unitInterval,
  /** Block of the neuron's last weights update. */
  lastUpdate: blockNumber,
  blockAtRegistration: blockNumber,
});

export const neuronsRequestSchema = z.object({
  netuid,
  /** Read at this block; the latest block the sidecar has when absent. */
  block: blockNumber.optional(),
});

/** A subnet's metagraph at one block. */
export const neuronsResponseSchema = z.object({
  netuid,
  block: blockNumber,
  neurons: z.array(neuronSchema),
});

export const hyperparametersRequestSchema = z.object({ netuid });

/** The subnet hyperparameters the stack acts on, read at `block`. */
export const hyperparametersSchema = z.object({
  netuid,
  block: blockNumber,
  /** Blocks per epoch. */
  tempo: z.number().int().nonnegative(),
  /** Blocks a validator must wait between two weight updates. */
  weightsRateLimit: z.number().int().nonnegative(),
  /** Version key the chain expects with weights. */
  weightsVersion: z.number().int().nonnegative(),
  commitRevealEnabled: z.boolean(),
  /** Epochs between committing weights and revealing them. */
  commitRevealPeriod: z.number().int().nonnegative(),
  minAllowedWeights: z.number().int().nonnegative(),
  /** Largest weight a single uid may get, as u16. */
  maxWeightsLimit: z.number().int().min(0).max(65_535),
  immunityPeriod: z.number().int().nonnegative(),
  activityCutoff: z.number().int().nonnegative(),
  maxValidators: z.number().int().nonnegative(),
  servingRateLimit: z.number().int().nonnegative(),
  registrationAllowed: z.boolean(),
});

/** A new best block. */
export const blockEventSchema = z.object({ block: blockNumber, hash: blockHash });

/** A subnet entered a new epoch (its tempo elapsed) at `block`. */
export const epochEventSchema = z.object({
  netuid,
  epoch: z.number().int().nonnegative(),
  block: blockNumber,
});

/** A subnet's metagraph differs from the one at the previous block (registrations, axons, stake). */
export const metagraphChangedEventSchema = z.object({ netuid, block: blockNumber });

/** Queries the sidecar answers; it is the only process that reads the chain. */
export const sidecarRpc = defineRpc('sidecar', {
  'chain.block.latest': { request: z.object({}), response: chainHeadSchema },
  'chain.neurons': { request: neuronsRequestSchema, response: neuronsResponseSchema },
  'chain.hyperparameters': { request: hyperparametersRequestSchema, response: hyperparametersSchema },
});

/** Chain events the sidecar broadcasts. */
export const sidecarEvents = defineEvents('sidecar', {
  'chain.block.new': blockEventSchema,
  'chain.epoch.new': epochEventSchema,
  'chain.metagraph.changed': metagraphChangedEventSchema,
});

export type ChainHead = z.infer<typeof chainHeadSchema>;
export type Neuron = z.infer<typeof neuronSchema>;
export type Hyperparameters = z.infer<typeof hyperparametersSchema>;
