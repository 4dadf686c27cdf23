import { z } from 'zod';
import { postgresVariables, redisVariables, serviceVariables } from './fragments';
import {
  decimal,
  describeVariable,
  flag,
  httpUrl,
  integer,
  netuidList,
  sidecarIdentities,
  wsUrl,
  wsUrls,
} from './variables';

/** sidecar: chain access and weight setting. */
export const sidecarConfigSchema = z.object({
  ...serviceVariables(3001),
  ...redisVariables,
  ...postgresVariables,
  SUBTENSOR_URL: describeVariable(wsUrls.prefault('ws://127.0.0.1:9944'), {
    description: 'Subtensor node WebSocket endpoint (comma-separated for failover).',
  }),
  SUBTENSOR_ARCHIVE_URL: describeVariable(wsUrl.optional(), {
    description:
      'Archive node for blocks the main node no longer holds (older than SIDECAR_ARCHIVE_CUTOFF_BLOCKS).',
    example: 'wss://archive.chain.opentensor.ai:443',
  }),
  SIDECAR_ARCHIVE_CUTOFF_BLOCKS: describeVariable(integer(1, 1_000_000).prefault('300'), {
    description: 'Reads of blocks older than this many blocks go to the archive node.',
  }),
  SIDECAR_IDENTITIES: describeVariable(sidecarIdentities.prefault('[]'), {
    description:
      'Validator wallets the sidecar sets weights for, as JSON: [{"name","netuid","token","hotkey"}] where hotkey is a dev URI, ' +
      'mnemonic or 0x seed, or "wallet" and "walletHotkey" name a Bittensor wallet instead.',
    sensitive: true,
    example: '[{"name":"sn1","netuid":1,"token":"change-me-to-a-long-token","hotkey":"//Alice"}]',
  }),
  SIDECAR_OPEN_ACCESS_TOKEN: describeVariable(
    z.string().min(16, 'must be at least 16 characters').optional(),
    {
      description:
        'Bearer token for the read routes (neurons, validators, blocks); read routes need an identity token when unset.',
      sensitive: true,
      example: 'change-me-to-a-long-read-token',
    },
  ),
  SIDECAR_WALLET_PATH: describeVariable(z.string().min(1).prefault('~/.bittensor/wallets'), {
    description: 'Folder of the Bittensor wallets that identities with "wallet" name.',
  }),
  SIDECAR_NETUIDS: describeVariable(netuidList.prefault(''), {
    description: "Subnets to keep cached besides the identities' own, separated by commas.",
    example: '1,2',
  }),
  SIDECAR_STALE_SOFT_BLOCKS: describeVariable(integer(1, 1_000_000).prefault('100'), {
    description: 'Past this many blocks behind the chain, reads carry a warning header.',
  }),
  SIDECAR_STALE_HARD_BLOCKS: describeVariable(integer(1, 1_000_000).prefault('150'), {
    description: 'Past this many blocks behind the chain, reads fail with 503 instead of serving old data.',
  }),
  SIDECAR_REQUEST_TIMEOUT_MS: describeVariable(integer(1, 300_000).prefault('60000'), {
    description: 'Default request timeout; a request may ask for another with X-Timeout-Ms (at most 300000).',
  }),
  SIDECAR_WEIGHTS_ATTEMPT_TIMEOUT_MS: describeVariable(integer(1_000, 600_000).prefault('120000'), {
    description: 'How long one attempt to put weights on chain may take.',
  }),
  SIDECAR_WEIGHTS_RETRY_DELAY_MS: describeVariable(integer(0, 600_000).prefault('2000'), {
    description: 'First delay between weights attempts; it doubles up to 60 s, until the epoch ends.',
  }),
});

/** managing: miner registry, quotas, selection. */
export const managingConfigSchema = z.object({
  ...serviceVariables(3002),
  ...redisVariables,
});

/** scoring: scores and weights. */
export const scoringConfigSchema = z.object({
  ...serviceVariables(3003),
  ...redisVariables,
  ...postgresVariables,
});

/** synthesizing: synthetic challenges. */
export const synthesizingConfigSchema = z.object({
  ...serviceVariables(3004),
  ...redisVariables,
  ...postgresVariables,
});

/** gateway: the organic task API. */
export const gatewayConfigSchema = z.object({
  ...serviceVariables(3000),
  ...redisVariables,
  ...postgresVariables,
  GATEWAY_ADMIN_TOKEN: describeVariable(z.string().min(16, 'must be at least 16 characters').optional(), {
    description: 'Bearer token for the admin routes (API keys); admin routes answer 403 when unset.',
    sensitive: true,
    example: 'change-me-to-another-long-random-string',
  }),
});

/** validator: the loop that sends tasks to miners. */
export const validatorConfigSchema = z.object({
  ...serviceVariables(3005),
  ...redisVariables,
});

/** miner-proxy: verifies Epistula requests in front of a miner's servers. */
export const minerProxyConfigSchema = z.object({
  ...serviceVariables(8091),
  ...redisVariables,
  SUBTENSOR_URL: describeVariable(wsUrl.prefault('ws://127.0.0.1:9944'), {
    description: 'Subtensor node WebSocket endpoint (comma-separated for failover).',
  }),
  INFERENCE_SERVER_URL: describeVariable(httpUrl.prefault('http://127.0.0.1:8092'), {
    description: "The miner's internal inference server (/inference and /tasks/* go there).",
  }),
  TRAINING_SERVER_URL: describeVariable(httpUrl.optional(), {
    description: "The miner's internal training server (/train goes there); /train answers 404 when unset.",
    example: 'http://127.0.0.1:8093',
  }),
  PROXY_ROUTES: describeVariable(
    z
      .string()
      .transform((value, ctx) => {
        const routes: { prefix: string; upstream: string }[] = [];
        for (const entry of value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)) {
          const at = entry.indexOf('=');
          const prefix = entry.slice(0, Math.max(at, 0));
          const upstream = entry.slice(at + 1);
          const reserved = ['/status', '/health', '/metrics'].some(
            (name) => prefix === name || prefix.startsWith(`${name}/`),
          );
          if (at < 0 || !/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(prefix) || reserved) {
            ctx.addIssue({ code: 'custom', message: `"${entry}" must be /path=http://host:port` });
          } else if (!/^https?:\/\//.test(upstream) || !URL.canParse(upstream)) {
            ctx.addIssue({
              code: 'custom',
              message: `"${entry}": ${upstream} must be an http:// or https:// URL`,
            });
          } else {
            routes.push({ prefix, upstream });
          }
        }
        return routes;
      })
      .optional(),
    {
      description:
        'More public paths and the internal servers they go to, /path=url separated by commas; a path here replaces a default one.',
      example: '/tasks/embedding=http://127.0.0.1:8094',
    },
  ),
  NETUID: describeVariable(integer(0, 65_535).prefault('1'), {
    description: 'Subnet whose metagraph decides which validators may call.',
  }),
  MINER_HOTKEY: describeVariable(z.string().min(1).optional(), {
    description:
      "The miner's hotkey: a dev URI (//Alice), a mnemonic or a 0x seed; else set MINER_WALLET_NAME and MINER_WALLET_HOTKEY.",
    sensitive: true,
    example: '//Dave',
  }),
  MINER_WALLET_NAME: describeVariable(z.string().min(1).optional(), {
    description: 'Bittensor wallet that holds the hotkey (used when MINER_HOTKEY is unset).',
    example: 'miner',
  }),
  MINER_WALLET_HOTKEY: describeVariable(z.string().min(1).prefault('default'), {
    description: 'Hotkey name inside the wallet.',
  }),
  MINER_WALLET_PATH: describeVariable(z.string().min(1).prefault('~/.bittensor/wallets'), {
    description: 'Folder of the Bittensor wallets.',
  }),
  EPISTULA_MAX_AGE_MS: describeVariable(integer(0, 600_000).prefault('8000'), {
    description: 'How old a request timestamp may be, in ms.',
  }),
  EPISTULA_MAX_FUTURE_MS: describeVariable(integer(0, 600_000).prefault('2000'), {
    description: 'How far ahead of this clock a request timestamp may be, in ms.',
  }),
  REQUIRE_VALIDATOR_PERMIT: describeVariable(flag.prefault('true'), {
    description: 'Refuse signers without a validator permit (403).',
  }),
  MIN_VALIDATOR_STAKE: describeVariable(
    z
      .string({ error: 'is required' })
      .regex(/^\d+$/, 'must be a whole number of rao')
      .transform((value) => BigInt(value))
      .prefault('0'),
    { description: 'Refuse signers with less stake, in rao (1 TAO = 1000000000 rao) (403).' },
  ),
  MAX_BODY_BYTES: describeVariable(integer(0, 1_073_741_824).prefault('1048576'), {
    description: 'Largest request body forwarded, in bytes (413 above).',
  }),
  METAGRAPH_MAX_AGE_BLOCKS: describeVariable(integer(1, 100_000).prefault('25'), {
    description:
      'Requests are refused with 503 metagraph_stale when the cached metagraph is older than this many blocks (12 s each).',
  }),
  RATE_LIMIT_PER_1K_TAO_PER_MINUTE: describeVariable(decimal(0, 1_000_000).prefault('600'), {
    description:
      "Requests a validator may send per minute for each 1000 TAO of its stake (bursts up to one minute's worth); 0 turns the limit off.",
  }),
  RATE_LIMIT_MIN_PER_MINUTE: describeVariable(decimal(0, 1_000_000).prefault('60'), {
    description: 'Requests per minute every accepted validator gets at least, whatever its stake.',
  }),
  UPSTREAM_TIMEOUT_MS: describeVariable(integer(1, 3_600_000).prefault('60000'), {
    description: 'How long to wait for the upstream response headers, and between body chunks, before 504.',
  }),
});

/** demo-miner: a reference miner server. */
export const demoMinerConfigSchema = z.object({
  ...serviceVariables(8092),
  DEMO_MINER_ERROR_RATE: describeVariable(decimal(0, 1).prefault('0'), {
    description: 'Share of answers the demo miner gets wrong on purpose (0 to 1).',
  }),
  DEMO_MINER_FAILURE_RATE: describeVariable(decimal(0, 1).prefault('0'), {
    description: 'Share of requests the demo miner answers with a 500 on purpose (0 to 1).',
  }),
  DEMO_MINER_LATENCY_MS: describeVariable(integer(0, 600_000).prefault('0'), {
    description: 'Latency the demo miner adds to every answer, in ms.',
  }),
  DEMO_MINER_LATENCY_JITTER_MS: describeVariable(integer(0, 600_000).prefault('0'), {
    description: 'Random extra latency on top of DEMO_MINER_LATENCY_MS, uniform from 0 to this, in ms.',
  }),
  DEMO_MINER_SEED: describeVariable(integer(0, 4_294_967_295).optional(), {
    description: "Seed of the demo miner's randomness (errors, failures, jitter); unseeded when unset.",
    example: '42',
  }),
});

/** devnet: a local subtensor node. */
export const devnetConfigSchema = z.object({
  ...serviceVariables(9944),
  DEVNET_BLOCK_TIME_MS: describeVariable(integer(0, 60_000).prefault('0'), {
    description: 'Block time in ms; 0 seals a block for every extrinsic (instant seal).',
  }),
  DEVNET_SCENARIO: describeVariable(z.string().min(1).optional(), {
    description:
      'Path of a scenario JSON file (subnets, neurons, stakes, axons); the built-in default when unset.',
    example: './devnet-scenario.json',
  }),
  DEVNET_STATE_PRUNING: describeVariable(
    z
      .string({ error: 'is required' })
      .transform((value, ctx) => {
        const text = value.trim().toLowerCase();
        if (text === 'archive') return undefined;
        const blocks = /^\d+$/.test(text) ? Number(text) : Number.NaN;
        if (blocks >= 1 && blocks <= 1_000_000) return blocks;
        ctx.addIssue({ code: 'custom', message: 'must be archive or a whole number from 1 to 1000000' });
        return z.NEVER;
      })
      .prefault('archive'),
    {
      description:
        'State kept: archive (every block) or the last N blocks, like a pruned node; older state reads fail.',
    },
  ),
  VSTACK_CACHE_DIR: describeVariable(z.string().min(1).optional(), {
    description:
      'Folder of the subtensor metadata cache (default: node_modules/.cache/vstack in the workspace).',
    example: './node_modules/.cache/vstack',
  }),
});

export type SidecarConfig = z.output<typeof sidecarConfigSchema>;
export type ManagingConfig = z.output<typeof managingConfigSchema>;
export type ScoringConfig = z.output<typeof scoringConfigSchema>;
export type SynthesizingConfig = z.output<typeof synthesizingConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type ValidatorConfig = z.output<typeof validatorConfigSchema>;
export type MinerProxyConfig = z.output<typeof minerProxyConfigSchema>;
export type DemoMinerConfig = z.output<typeof demoMinerConfigSchema>;
export type DevnetConfig = z.output<typeof devnetConfigSchema>;

/** Every app's schema by app name: the source of .env.example and of the compose checks. */
export const appConfigSchemas = {
  sidecar: sidecarConfigSchema,
  managing: managingConfigSchema,
  scoring: scoringConfigSchema,
  synthesizing: synthesizingConfigSchema,
  gateway: gatewayConfigSchema,
  validator: validatorConfigSchema,
  'miner-proxy': minerProxyConfigSchema,
  'demo-miner': demoMinerConfigSchema,
  devnet: devnetConfigSchema,
} as const;

export type AppName = keyof typeof appConfigSchemas;
export const appNames = Object.keys(appConfigSchemas) as AppName[];
