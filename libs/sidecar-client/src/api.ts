import { z } from 'zod';

// The sidecar's REST API as it travels (Pylon-compatible paths and shapes): the sidecar builds its answers and
// its OpenAPI document from these schemas, and the client checks what it receives against them.

/** Where the REST API lives under the sidecar's base URL. */
export const API_PREFIX = '/api/v1';

/** Request header that asks for another timeout than the default, in ms (at most 300000). */
export const TIMEOUT_HEADER = 'x-timeout-ms';
/** Response header: how many blocks the answer trails the chain head by. */
export const CACHE_AGE_HEADER = 'x-cache-age-blocks';
/** Response header set past the soft staleness limit (RFC 7234 style warning text). */
export const WARNING_HEADER = 'warning';
/** The largest value the sidecar accepts in `x-timeout-ms`. */
export const MAX_TIMEOUT_MS = 300_000;

/** Which block a metagraph read asks for: a block number, the chain head, or the newest cached block. */
export type BlockSelector = number | 'latest' | 'recent';

/** Paths of the REST API, prefix included; identity names are URL-encoded. */
export const apiPaths = {
  latestBlock: (): string => `${API_PREFIX}/block/latest`,
  neurons: (netuid: number, block: BlockSelector): string =>
    `${API_PREFIX}/subnet/${netuid}/block/${block}/neurons`,
  validators: (netuid: number, block: number | 'latest'): string =>
    `${API_PREFIX}/subnet/${netuid}/block/${block}/validators`,
  weights: (identity: string, netuid: number): string =>
    `${API_PREFIX}/identity/${encodeURIComponent(identity)}/subnet/${netuid}/weights`,
  weightsHistory: (identity: string, netuid: number): string =>
    `${API_PREFIX}/identity/${encodeURIComponent(identity)}/subnet/${netuid}/weights/history`,
  identities: (): string => `${API_PREFIX}/identities`,
} as const;

/** The error body every 4xx and 5xx carries. */
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

/** Error codes of the REST API; part of its contract. */
export enum SidecarApiErrorCode {
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  IdentityNotFound = 'identity_not_found',
  SubnetNotFound = 'subnet_not_found',
  BlockNotFound = 'block_not_found',
  InvalidRequest = 'invalid_request',
  InvalidWeights = 'invalid_weights',
  InvalidTimeout = 'invalid_timeout',
  CacheStale = 'cache_stale',
  ChainUnavailable = 'chain_unavailable',
  Timeout = 'timeout',
}

export const blockSchema = z.object({
  number: z.number().int().nonnegative(),
  hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
});

export const axonInfoSchema = z.object({
  ip: z.string(),
  port: z.number().int().min(0).max(65_535),
  protocol: z.number().int().nonnegative(),
});

/** One neuron as Pylon shows it; stake and emission in TAO (rao / 1e9), the u16 ratios as 0..1. */
export const neuronSchema = z.object({
  uid: z.number().int().nonnegative(),
  coldkey: z.string(),
  hotkey: z.string(),
  active: z.boolean(),
  axon_info: axonInfoSchema,
  stake: z.number().nonnegative(),
  /** The same stake in rao, exact, as a decimal string. */
  stake_rao: z.string().regex(/^\d+$/),
  emission: z.number().nonnegative(),
  incentive: z.number().min(0).max(1),
  consensus: z.number().min(0).max(1),
  validator_trust: z.number().min(0).max(1),
  dividends: z.number().min(0).max(1),
  last_update: z.number().int().nonnegative(),
  validator_permit: z.boolean(),
  block_at_registration: z.number().int().nonnegative(),
});

/** GET /subnet/{netuid}/block/{latest|recent|n}/neurons */
export const neuronsResponseSchema = z.object({
  block: blockSchema,
  /** Neurons by hotkey. */
  neurons: z.record(z.string(), neuronSchema),
});

/** GET /subnet/{netuid}/block/{latest|n}/validators: validator permit holders, largest stake first. */
export const validatorsResponseSchema = z.object({
  block: blockSchema,
  validators: z.array(neuronSchema),
});

/** PUT /identity/{name}/subnet/{netuid}/weights */
export const putWeightsRequestSchema = z.object({
  weights: z
    .record(z.string().min(1), z.number().nonnegative())
    .refine((weights) => Object.keys(weights).length > 0, 'must name at least one hotkey'),
});

export const putWeightsResponseSchema = z.object({
  detail: z.literal('weights update scheduled'),
  /** Hotkeys that will be set (known to the subnet, weight above zero). */
  count: z.number().int().nonnegative(),
  job_id: z.string(),
  epoch: z.number().int().nonnegative(),
  /** Hotkeys the subnet does not know; dropped. */
  unknown_hotkeys: z.array(z.string()),
});

export const weightsJobStates = [
  'scheduled',
  'submitting',
  'committed',
  'revealed',
  'succeeded',
  'expired',
  'cancelled',
  'failed',
] as const;
export type WeightsJobState = (typeof weightsJobStates)[number];

/** One weights job of the audit trail. */
export const weightsJobSchema = z.object({
  id: z.string(),
  identity: z.string(),
  netuid: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  state: z.enum(weightsJobStates),
  /** How the weights go on chain: set_weights, or commit then reveal. */
  mode: z.enum(['direct', 'commit-reveal']).nullable(),
  attempts: z.number().int().nonnegative(),
  /** Uids with a weight above zero. */
  count: z.number().int().nonnegative(),
  tx_hash: z.string().nullable(),
  block: z.number().int().nonnegative().nullable(),
  reveal_tx_hash: z.string().nullable(),
  reveal_block: z.number().int().nonnegative().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** GET /identity/{name}/subnet/{netuid}/weights/history: newest first. */
export const weightsHistoryResponseSchema = z.object({ jobs: z.array(weightsJobSchema) });

/** GET /identities */
export const identitiesResponseSchema = z.object({
  identities: z.array(z.object({ name: z.string(), netuid: z.number().int(), hotkey: z.string() })),
});

export type ApiError = z.infer<typeof apiErrorSchema>;
export type Block = z.infer<typeof blockSchema>;
export type ApiNeuron = z.infer<typeof neuronSchema>;
export type NeuronsResponse = z.infer<typeof neuronsResponseSchema>;
export type ValidatorsResponse = z.infer<typeof validatorsResponseSchema>;
export type PutWeightsRequest = z.infer<typeof putWeightsRequestSchema>;
export type PutWeightsResponse = z.infer<typeof putWeightsResponseSchema>;
export type WeightsJob = z.infer<typeof weightsJobSchema>;
export type WeightsHistoryResponse = z.infer<typeof weightsHistoryResponseSchema>;
export type IdentitiesResponse = z.infer<typeof identitiesResponseSchema>;
