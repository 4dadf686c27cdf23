import { TaskTypeName } from '@vstack/protocol';
import { z } from 'zod';
import { postgresVariables, redisVariables, serviceVariables } from './fragments';
import {
  decimal,
  describeVariable,
  flag,
  httpUrl,
  integer,
  namedWeights,
  netuidList,
  raoAmount,
  sidecarIdentities,
  ss58Address,
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
  SIDECAR_BLOCK_TIME_MS: describeVariable(integer(100, 600_000).prefault('12000'), {
    description: 'Expected time between blocks: while no new head arrives, cached answers age at this pace.',
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
export const managingConfigSchema = z
  .object({
    ...serviceVariables(3002),
    ...redisVariables,
    NETUID: describeVariable(integer(0, 65_535).prefault('1'), {
      description: 'Subnet (netuid) the service works on: its metagraph, its miners and validators.',
    }),
    VALIDATOR_HOTKEY_ADDRESS: describeVariable(ss58Address, {
      description:
        "This validator's hotkey as an SS58 address (no secret): the quotas managing hands out are its quotas.",
      example: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
    }),
    MANAGING_QUOTA_WINDOW_SECONDS: describeVariable(integer(10, 86_400).prefault('600'), {
      description: 'Length of a quota window; counters start again at each window and expire after two.',
    }),
    MANAGING_MIN_VALIDATOR_STAKE: describeVariable(raoAmount.prefault('0'), {
      description:
        'Validators with less stake (rao, 1 TAO = 1000000000 rao) do not share in miner capacity; this one then gets no quota.',
    }),
    MANAGING_REQUIRE_VALIDATOR_PERMIT: describeVariable(flag.prefault('true'), {
      description: 'Only validators holding a permit share in miner capacity (as miner proxies require).',
    }),
    MANAGING_CAPACITY_DEFAULT: describeVariable(integer(1, 10_000_000).prefault('256'), {
      description:
        'Requests per quota window a miner serves all validators together, unless it declares its own.',
    }),
    MANAGING_CAPACITY_MIN: describeVariable(integer(1, 10_000_000).prefault('16'), {
      description: "Smallest capacity accepted from a miner's declaration (lower values are raised to it).",
    }),
    MANAGING_CAPACITY_MAX: describeVariable(integer(1, 10_000_000).prefault('4096'), {
      description: "Largest capacity accepted from a miner's declaration (higher values are lowered to it).",
    }),
    MANAGING_MINER_STATUS_INTERVAL_MS: describeVariable(integer(1_000, 86_400_000).prefault('300000'), {
      description: "How often each miner's GET /status (declared capacity and task types) is read again.",
    }),
    MANAGING_MINER_STATUS_TIMEOUT_MS: describeVariable(integer(100, 60_000).prefault('2000'), {
      description: "How long one read of a miner's GET /status may take.",
    }),
    MANAGING_SYNTHETIC_SHARE: describeVariable(decimal(0, 1).prefault('0.3'), {
      description:
        'Share of each quota synthetic challenges may use (at least 1 request when above 0); organic work may use all.',
    }),
    MANAGING_TOP_FRACTION_SYNTHETIC: describeVariable(decimal(0.01, 1).prefault('1'), {
      description:
        'Synthetic work goes to this top fraction of available miners by score (1: every miner is probed).',
    }),
    MANAGING_TOP_FRACTION_ORGANIC: describeVariable(decimal(0.01, 1).prefault('0.5'), {
      description:
        'Organic work goes to this top fraction of available miners by score (ties at the cut are kept).',
    }),
    MANAGING_CIRCUIT_FAILURES: describeVariable(integer(1, 1_000).prefault('5'), {
      description: "Consecutive failed calls that open a miner's circuit (it is not selected while open).",
    }),
    MANAGING_CIRCUIT_OPEN_MS: describeVariable(integer(100, 86_400_000).prefault('30000'), {
      description: 'How long a circuit first stays open; each failed half-open probe doubles it.',
    }),
    MANAGING_CIRCUIT_OPEN_MAX_MS: describeVariable(integer(100, 86_400_000).prefault('600000'), {
      description: 'Longest a circuit stays open before the next half-open probe.',
    }),
    MANAGING_CIRCUIT_PROBE_TIMEOUT_MS: describeVariable(integer(100, 3_600_000).prefault('60000'), {
      description: 'A half-open probe not reported within this time lets another probe through.',
    }),
    MANAGING_METAGRAPH_REFRESH_MS: describeVariable(integer(1_000, 3_600_000).prefault('60000'), {
      description:
        "Metagraph re-read from the sidecar at least this often, besides on the sidecar's change events.",
    }),
    MANAGING_SCORES_REFRESH_MS: describeVariable(integer(1_000, 3_600_000).prefault('30000'), {
      description:
        'Miner scores per task type are asked from scoring again after this long (uniform when it does not answer).',
    }),
  })
  .superRefine((config, ctx) => {
    if (config.MANAGING_CAPACITY_MIN > config.MANAGING_CAPACITY_MAX) {
      ctx.addIssue({
        code: 'custom',
        path: ['MANAGING_CAPACITY_MIN'],
        message: 'must not exceed MANAGING_CAPACITY_MAX',
      });
    }
    if (config.MANAGING_CIRCUIT_OPEN_MS > config.MANAGING_CIRCUIT_OPEN_MAX_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MANAGING_CIRCUIT_OPEN_MS'],
        message: 'must not exceed MANAGING_CIRCUIT_OPEN_MAX_MS',
      });
    }
  });

/** scoring: scores and weights. */
export const scoringConfigSchema = z.object({
  ...serviceVariables(3003),
  ...redisVariables,
  ...postgresVariables,
  NETUID: describeVariable(integer(0, 65_535).prefault('1'), {
    description: 'Subnet whose epochs trigger a weight vector, over the neurons of its metagraph.',
  }),
  SCORING_IDENTITY: describeVariable(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -')
      .optional(),
    {
      description:
        "Sidecar identity (validator wallet) that sets the weights; the sidecar's default when unset.",
      example: 'sn1',
    },
  ),
  SCORING_TASK_TYPE_WEIGHTS: describeVariable(
    namedWeights(Object.values(TaskTypeName)).prefault('arithmetic=1,summarization=1,text-generation=1'),
    {
      description:
        "Share of each task type in a miner's overall score and in the weights, as name=weight separated by commas; task types left out do not count.",
    },
  ),
  SCORING_SPEED_WEIGHT: describeVariable(decimal(0, 1).prefault('0.3'), {
    description: 'Share of speed in the score of a response (0 to 1); accuracy has the rest.',
  }),
  SCORING_EMA_ALPHA: describeVariable(
    decimal(0, 1)
      .refine((value) => value > 0, 'must be above 0')
      .prefault('0.1'),
    { description: "Weight of a new score in a miner's moving score, above 0 and at most 1." },
  ),
  SCORING_DROPOUT_MAX: describeVariable(integer(1, 1_000_000).prefault('4'), {
    description: 'Responses scored per miner per dropout window; the rest are recorded unscored.',
  }),
  SCORING_DROPOUT_WINDOW_MS: describeVariable(integer(1, 86_400_000).prefault('600000'), {
    description: 'Length of the sliding dropout window, in ms.',
  }),
  SCORING_ORGANIC_SPOT_CHECK: describeVariable(decimal(0, 1).prefault('0.1'), {
    description:
      'Share of organic responses scored against the reference answer (0 to 1); the rest are recorded unscored.',
  }),
  SCORING_RETENTION_DAYS: describeVariable(integer(1, 3_650).prefault('14'), {
    description: 'Score records older than this many days are deleted (checked every hour).',
  }),
  SCORING_CONCURRENCY: describeVariable(integer(1, 64).prefault('4'), {
    description: 'Score jobs handled at the same time.',
  }),
});

/** synthesizing: synthetic challenges. */
export const synthesizingConfigSchema = z.object({
  ...serviceVariables(3004),
  ...redisVariables,
  ...postgresVariables,
  SYNTHESIZING_TASKS_PER_MINUTE: describeVariable(
    namedWeights(Object.values(TaskTypeName)).prefault('arithmetic=60,summarization=20,text-generation=20'),
    {
      description:
        'Synthetic tasks added per minute for each task type, as name=rate separated by commas; task types left out get none.',
    },
  ),
  SYNTHESIZING_MAX_QUEUE_DEPTH: describeVariable(integer(1, 1_000_000).prefault('200'), {
    description:
      'Adding stops while this many synthetic tasks (or more) wait in the queue, and resumes as the validator takes them.',
  }),
  SYNTHESIZING_REPLAY_SHARE: describeVariable(decimal(0, 1).prefault('0.25'), {
    description:
      'Share of synthetic tasks that replay a sampled organic request of the same task type when one is stored (0 to 1).',
  }),
  SYNTHESIZING_SAMPLE_RETENTION_HOURS: describeVariable(integer(1, 8_760).prefault('24'), {
    description: 'Sampled organic requests older than this many hours are deleted.',
  }),
  SYNTHESIZING_SAMPLES_PER_TASK_TYPE: describeVariable(integer(0, 1_000_000).prefault('10000'), {
    description:
      'Sampled organic requests kept per task type (the newest); 0 stores none and turns replay off.',
  }),
  SYNTHESIZING_TICK_MS: describeVariable(integer(50, 60_000).prefault('1000'), {
    description: 'How often the queue depth is checked and the tasks due are added, in ms.',
  }),
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
  GATEWAY_WEBHOOK_SECRET: describeVariable(z.string().min(32, 'must be at least 32 characters').optional(), {
    description:
      'Master secret of the webhook signatures; each API key signs with its own secret derived from it. Tasks with a callback_url are refused while it is unset.',
    sensitive: true,
    example: 'change-me-to-a-long-random-webhook-secret',
  }),
  GATEWAY_TASK_PRICES: describeVariable(
    z
      .string({ error: 'is required' })
      .transform((value, ctx) => {
        const prices: Record<string, number> = {};
        for (const entry of value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)) {
          const match = /^([^=\s]+)\s*=\s*(\d{1,12})$/.exec(entry);
          const name = match?.[1];
          if (match === null || name === undefined) {
            ctx.addIssue({ code: 'custom', message: `"${entry}" must be name=credits with whole credits` });
          } else if (!(Object.values(TaskTypeName) as string[]).includes(name)) {
            ctx.addIssue({
              code: 'custom',
              message: `"${name}" is not one of ${Object.values(TaskTypeName).join(', ')}`,
            });
          } else if (name in prices) {
            ctx.addIssue({ code: 'custom', message: `"${name}" appears twice` });
          } else {
            prices[name] = Number(match[2]);
          }
        }
        return prices;
      })
      .prefault(''),
    {
      description:
        "Price of a task in credits per task type, as name=credits separated by commas; task types left out keep the protocol's price.",
      example: 'arithmetic=1,summarization=5,text-generation=20',
    },
  ),
  GATEWAY_DEFAULT_RATE_LIMIT_PER_MINUTE: describeVariable(integer(1, 1_000_000).prefault('600'), {
    description: 'Requests per minute a new API key may make when its creator does not say.',
  }),
  GATEWAY_RATE_LIMIT_BURST_SECONDS: describeVariable(integer(1, 3_600).prefault('10'), {
    description: "Burst a key may send at once, in seconds' worth of its rate limit.",
  }),
  GATEWAY_KEY_CACHE_MS: describeVariable(integer(0, 600_000).prefault('5000'), {
    description:
      'How long a replica remembers an API key it looked up; a key revoked elsewhere can read for this long (it can never spend credits).',
  }),
  GATEWAY_MAX_WAIT_SECONDS: describeVariable(integer(0, 600).prefault('60'), {
    description: 'Longest a request may wait for its result (Prefer: wait=N, chat completions).',
  }),
  GATEWAY_TASK_DEADLINE_SECONDS: describeVariable(integer(10, 86_400).prefault('300'), {
    description: 'A task not finished this long after it was accepted fails and its credits are released.',
  }),
  GATEWAY_MAINTENANCE_INTERVAL_SECONDS: describeVariable(integer(1, 3_600).prefault('30'), {
    description:
      'How often each replica sweeps the task records: overdue tasks, interrupted submissions, retention.',
  }),
  GATEWAY_STALE_SUBMISSION_SECONDS: describeVariable(integer(5, 3_600).prefault('60'), {
    description:
      'A submission still between its record and the queue after this long was interrupted (a crash, an outage): the sweep queues it if its job exists, else undoes it and releases its hold.',
  }),
  GATEWAY_TASK_RETENTION_HOURS: describeVariable(integer(1, 87_600).prefault('168'), {
    description: 'Finished tasks are deleted this many hours after they finished (the credit ledger stays).',
  }),
  GATEWAY_RESULTS_CONCURRENCY: describeVariable(integer(1, 256).prefault('16'), {
    description: 'Results (and webhook deliveries) handled at the same time.',
  }),
  GATEWAY_WEBHOOK_TIMEOUT_MS: describeVariable(integer(100, 120_000).prefault('10000'), {
    description: 'How long one webhook delivery may take before it counts as failed and is retried.',
  }),
});

/** validator: the loop that sends tasks to miners. */
export const validatorConfigSchema = z.object({
  ...serviceVariables(3005),
  ...redisVariables,
  NETUID: describeVariable(integer(0, 65_535).prefault('1'), {
    description: 'Subnet whose epochs trigger a weights job.',
  }),
  VALIDATOR_HOTKEY: describeVariable(z.string().min(1).optional(), {
    description:
      "The validator's hotkey that signs requests to miners: a dev URI (//Alice), a mnemonic or a 0x seed; else set VALIDATOR_WALLET_NAME.",
    sensitive: true,
    example: '//Alice',
  }),
  VALIDATOR_WALLET_NAME: describeVariable(z.string().min(1).optional(), {
    description: 'Bittensor wallet that holds the hotkey (used when VALIDATOR_HOTKEY is unset).',
    example: 'validator',
  }),
  VALIDATOR_WALLET_HOTKEY: describeVariable(z.string().min(1).prefault('default'), {
    description: 'Hotkey name inside the wallet.',
  }),
  VALIDATOR_WALLET_PATH: describeVariable(z.string().min(1).prefault('~/.bittensor/wallets'), {
    description: 'Folder of the Bittensor wallets.',
  }),
  VALIDATOR_ORGANIC_CONCURRENCY: describeVariable(integer(1, 1_024).prefault('32'), {
    description: 'Organic tasks handled at the same time.',
  }),
  VALIDATOR_SYNTHETIC_CONCURRENCY: describeVariable(integer(1, 1_024).prefault('8'), {
    description: 'Synthetic tasks handled at the same time.',
  }),
  VALIDATOR_SYNTHETIC_MINERS: describeVariable(integer(1, 256).prefault('3'), {
    description: 'Miners asked for each synthetic task; every answer goes to scoring.',
  }),
  VALIDATOR_ORGANIC_ATTEMPTS: describeVariable(integer(1, 10).prefault('3'), {
    description: 'Miners an organic task may be sent to in all, the hedge included, before it fails.',
  }),
  VALIDATOR_HEDGE_DELAY_SHARE: describeVariable(decimal(0, 1).prefault('0.25'), {
    description:
      "An organic task still unanswered after this share of its task type's timeout is also sent to a second miner (0 to 1; 1 turns hedging off).",
  }),
  VALIDATOR_ORGANIC_SCORING_SHARE: describeVariable(decimal(0, 1).prefault('1'), {
    description:
      'Share of organic tasks whose miner answers also go to scoring (0 to 1); scoring spot-checks those it gets.',
  }),
  VALIDATOR_ORGANIC_SAMPLE_SHARE: describeVariable(decimal(0, 1).prefault('0.1'), {
    description:
      "Share of completed organic requests published, without the caller's identity, for synthesizing to replay (0 turns it off).",
  }),
  VALIDATOR_MINER_CONNECTIONS: describeVariable(integer(1, 1_024).prefault('16'), {
    description: 'Keep-alive connections per miner axon.',
  }),
  VALIDATOR_MAX_RESPONSE_BYTES: describeVariable(integer(1_024, 1_073_741_824).prefault('4194304'), {
    description: "Largest miner answer read, in bytes; a larger one counts as the miner's failure.",
  }),
  VALIDATOR_RPC_TIMEOUT_MS: describeVariable(integer(100, 60_000).prefault('2000'), {
    description: 'How long to wait for managing and scoring to answer, in ms.',
  }),
  VALIDATOR_WEIGHTS_IDENTITY: describeVariable(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -')
      .optional(),
    {
      description:
        "Sidecar identity that sets the weights the validator enqueues (set it as SCORING_IDENTITY); the sidecar's default when unset.",
      example: 'sn1',
    },
  ),
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
  VERIFY_THREADS: describeVariable(integer(0, 64).prefault('0'), {
    description:
      'Worker threads that check request signatures; 0 checks them on the main thread. More threads only help with cores to spare.',
  }),
  SIGN_RESPONSES: describeVariable(flag.prefault('false'), {
    description:
      "Sign each upstream answer with the miner's hotkey (Epistula-Response-Signature), so validators can prove which miner answered.",
  }),
  SIGN_RESPONSES_MAX_BYTES: describeVariable(integer(0, 1_073_741_824).prefault('1048576'), {
    description:
      'Largest upstream answer the proxy holds in memory to sign, in bytes; larger or streamed answers pass unsigned, marked X-Epistula-Unsigned.',
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
  DEMO_MINER_GARBAGE_RATE: describeVariable(decimal(0, 1).prefault('0'), {
    description:
      'Share of requests the demo miner answers 200 with a body that is not an answer (not JSON, JSON of the wrong shape, or cut off) on purpose (0 to 1). A 500 of DEMO_MINER_FAILURE_RATE goes first; garbage goes before a wrong answer of DEMO_MINER_ERROR_RATE.',
  }),
  DEMO_MINER_LATENCY_MS: describeVariable(integer(0, 600_000).prefault('0'), {
    description: 'Latency the demo miner adds to every answer, in ms.',
  }),
  DEMO_MINER_LATENCY_JITTER_MS: describeVariable(integer(0, 600_000).prefault('0'), {
    description: 'Random extra latency on top of DEMO_MINER_LATENCY_MS, uniform from 0 to this, in ms.',
  }),
  DEMO_MINER_SEED: describeVariable(integer(0, 4_294_967_295).optional(), {
    description:
      "Seed of the demo miner's randomness (errors, failures, garbage, jitter); unseeded when unset.",
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
