import { z } from 'zod';
import { postgresVariables, redisVariables, serviceVariables } from './fragments';
import { decimal, describeVariable, httpUrl, integer, wsUrl } from './variables';

/** sidecar: chain access and weight setting. */
export const sidecarConfigSchema = z.object({
  ...serviceVariables(3001),
  ...redisVariables,
  ...postgresVariables,
  SUBTENSOR_URL: describeVariable(wsUrl.prefault('ws://127.0.0.1:9944'), {
    description: 'Subtensor node WebSocket endpoint (comma-separated for failover).',
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
    description: "The miner's internal inference server.",
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
