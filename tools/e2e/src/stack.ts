import { isPortFree } from '@vstack/local-infra';
import {
  createTestSchema,
  deleteRedisKeysWithPrefix,
  type RunningApp,
  type RunningDevnet,
  startApp,
  type StartAppOptions,
  startDevnet,
  type TestSchema,
} from '@vstack/testing';

// The whole validator pipeline as real processes on one machine, for the end-to-end tests and the end-to-end
// benchmark: the devnet, demo miners each behind its own miner proxy, and the sidecar, managing, scoring,
// synthesizing, the validator and (when asked) the gateway on one Redis prefix and real Postgres.

export const NETUID = 1;
export const TEMPO = 30;
export const BLOCK_TIME_MS = 250;
/** The sidecar identity that sets the weights; scoring and the validator name it too. */
export const IDENTITY = 'e2e';
export const IDENTITY_TOKEN = 'pipeline-e2e-identity-token';
export const OPEN_TOKEN = 'pipeline-e2e-open-access-token';
export const ALICE_UID = 0;
export const ALICE_ADDRESS = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
export const GATEWAY_ADMIN_TOKEN = 'pipeline-e2e-gateway-admin-token';
export const GATEWAY_WEBHOOK_SECRET = 'pipeline-e2e-gateway-webhook-master-secret';
const TAO = 1_000_000_000n;
/** How long one process may take to become ready: sixteen of them start at once on two shared cores. */
const START_TIMEOUT_MS = 90_000;

/** The apps the pipeline starts (the gateway only when asked), to build before it runs. */
export const pipelineApps = [
  'devnet',
  'demo-miner',
  'miner-proxy',
  'sidecar',
  'managing',
  'scoring',
  'synthesizing',
  'validator',
  'gateway',
] as const;

/** One miner of the pipeline: a demo miner (how it behaves) behind its own miner proxy. */
export interface MinerSpec {
  /** Its uid on the devnet's subnet (Alice, the validator, is uid 0). */
  uid: number;
  /** Its hotkey as a dev URI, e.g. `//Miner0`. */
  hotkey: string;
  /** DEMO_MINER_* variables: error and failure rates, latency, seed. */
  env: Record<string, string>;
}

/** Variables on top of each service's own, by service. */
export interface ServiceOverrides {
  sidecar?: Record<string, string>;
  scoring?: Record<string, string>;
  managing?: Record<string, string>;
  validator?: Record<string, string>;
  synthesizing?: Record<string, string>;
  gateway?: Record<string, string>;
}

export interface PipelineOptions {
  redisUrl: string;
  databaseUrl: string;
  /** Redis key prefix of the stack (each proxy gets its own below it), unique per run. */
  prefix: string;
  miners: readonly MinerSpec[];
  /** Starts the gateway last, on its own Postgres schema. */
  gateway?: boolean;
  env?: ServiceOverrides;
  log?: (message: string) => void;
}

/** The services of the pipeline that `restartService` can kill and start again. */
export type ServiceName = 'sidecar' | 'scoring' | 'managing' | 'validator' | 'synthesizing' | 'gateway';

/** A process of the pipeline, for its CPU time and memory. */
export interface PipelineProcess {
  name: string;
  pid: number;
}

/** One miner as it runs. */
export interface RunningMiner {
  demo: RunningApp;
  proxy: RunningApp;
}

/** The stack as it runs. */
export interface Pipeline {
  devnet: RunningDevnet;
  miners: Map<number, RunningMiner>;
  sidecar: RunningApp;
  scoring: RunningApp;
  managing: RunningApp;
  validator: RunningApp;
  synthesizing: RunningApp;
  /** Present when the options asked for it. */
  gateway: { app: RunningApp; url: string; schema: string } | undefined;
  /** The PostgreSQL schema of each service that keeps records (sidecar, scoring, synthesizing, gateway). */
  schemas: ReadonlyMap<string, string>;
  /** Stops a miner's demo server and starts it again on the same port with other DEMO_MINER_* variables. */
  restartDemoMiner(uid: number, env: Record<string, string>): Promise<void>;
  /**
   * Sends `signal` to a service (SIGKILL by default: a crash, no shutdown hooks), waits for it to exit and starts
   * it again with the same variables on the same port, waiting until it is ready. Resolves with the moment it was
   * ready again (epoch ms).
   */
  restartService(name: ServiceName, signal?: NodeJS.Signals): Promise<number>;
  /** Every process the pipeline runs, with its current pid (a restart changes it). */
  processes(): PipelineProcess[];
  /** Every process's recent output, to explain a failure. */
  output(): string;
  /** Stops every process, then removes the schemas and Redis keys; safe to call after a failed start. */
  stop(): Promise<void>;
}

/** Dev-URI miners `//Miner0` … with uids from 1, each with its own DEMO_MINER_* variables. */
export function minerSpecs(envs: readonly Record<string, string>[]): MinerSpec[] {
  return envs.map((env, index) => ({ uid: index + 1, hotkey: `//Miner${index}`, env }));
}

/**
 * Starts the devnet, the miners and every service, each waited for until ready. When any start fails, whatever
 * had started is stopped before the error is thrown.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { redisUrl, databaseUrl, prefix, miners: specs } = options;
  const log = options.log ?? (() => undefined);
  const schemas: TestSchema[] = [];
  const miners = new Map<number, RunningMiner>();
  const services: { name: string; app: RunningApp; options: StartAppOptions }[] = [];
  let devnet: RunningDevnet | undefined;
  const demoPorts = new Map<number, number>();
  const demoEnvs = new Map<number, Record<string, string>>();

  const stop = async () => {
    const running = [
      ...[...services].reverse(),
      ...[...miners].flatMap(([uid, { demo, proxy }]) => [
        { name: `miner-proxy ${uid}`, app: proxy },
        { name: `demo-miner ${uid}`, app: demo },
      ]),
    ];
    await Promise.allSettled(running.map(({ app }) => app.stop()));
    await devnet?.stop();
    await Promise.allSettled(schemas.map((schema) => schema.drop()));
    await deleteRedisKeysWithPrefix(redisUrl, prefix);
    await Promise.allSettled(
      specs.map((miner) => deleteRedisKeysWithPrefix(redisUrl, `${prefix}_proxy${miner.uid}`)),
    );
  };
  const output = () =>
    [
      ...services,
      ...[...miners].flatMap(([uid, { demo, proxy }]) => [
        { name: `miner-proxy ${uid}`, app: proxy },
        { name: `demo-miner ${uid}`, app: demo },
      ]),
    ]
      .map(({ name, app }) => `--- ${name} ---\n${app.output()}`)
      .join('\n');
  const schemaOf = new Map<string, string>();
  const postgres = async (label: string) => {
    const schema = await createTestSchema(databaseUrl, label);
    schemas.push(schema);
    schemaOf.set(label.replace(/^pipeline_/, ''), schema.schema);
    return { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema.schema, DATABASE_MIGRATE_ON_START: 'true' };
  };
  const redis = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
  const startService = async (name: string, startOptions: StartAppOptions): Promise<RunningApp> => {
    const options = { timeoutMs: START_TIMEOUT_MS, ...startOptions };
    const app = await startApp(name, options);
    services.push({ name, app, options: { ...options, port: app.port } });
    return app;
  };
  const startDemo = (uid: number, port?: number) =>
    startApp('demo-miner', {
      ...(port === undefined ? {} : { port }),
      timeoutMs: START_TIMEOUT_MS,
      env: demoEnvs.get(uid) ?? {},
    });

  try {
    // The proxies' ports go into the chain's axons before the proxies start, seconds later. Ports from the
    // kernel's ephemeral range (what freePort hands out) can be taken in between by the connections of tests
    // running beside this one, so these come from below it.
    const proxyPorts = new Map<number, number>();
    let candidate = 20_000 + Math.floor(Math.random() * 10_000);
    for (const miner of specs) {
      while (!(await isPortFree(candidate))) candidate += 1;
      proxyPorts.set(miner.uid, candidate);
      candidate += 1;
    }
    devnet = await startDevnet({
      blockTimeMs: BLOCK_TIME_MS,
      timeoutMs: START_TIMEOUT_MS,
      scenario: {
        subnets: [
          {
            netuid: NETUID,
            tempo: TEMPO,
            weightsRateLimit: 5,
            neurons: [
              { hotkey: '//Alice', stake: String(100_000n * TAO), validator: true },
              ...specs.map((miner) => ({
                hotkey: miner.hotkey,
                axon: { ip: '127.0.0.1', port: proxyPorts.get(miner.uid), protocol: 4, version: 1 },
              })),
            ],
          },
        ],
      },
    });
    const subtensorUrl = devnet.url;
    // allSettled: every miner started is known to stop() before a failure ends the start.
    const minerStarts = await Promise.allSettled(
      specs.map(async (miner) => {
        demoEnvs.set(miner.uid, miner.env);
        const demo = await startDemo(miner.uid);
        demoPorts.set(miner.uid, demo.port);
        try {
          const proxy = await startApp('miner-proxy', {
            port: proxyPorts.get(miner.uid),
            timeoutMs: START_TIMEOUT_MS,
            env: {
              ...redis,
              REDIS_PREFIX: `${prefix}_proxy${miner.uid}`,
              MINER_HOTKEY: miner.hotkey,
              NETUID: String(NETUID),
              SUBTENSOR_URL: subtensorUrl,
              INFERENCE_SERVER_URL: `http://127.0.0.1:${demo.port}`,
              RATE_LIMIT_PER_1K_TAO_PER_MINUTE: '0',
              METAGRAPH_MAX_AGE_BLOCKS: '1000',
            },
            ready: async (port) => (await fetch(`http://127.0.0.1:${port}/status`)).ok,
          });
          miners.set(miner.uid, { demo, proxy });
        } catch (error) {
          await demo.stop();
          throw error;
        }
      }),
    );
    const failedStart = minerStarts.find((result) => result.status === 'rejected');
    if (failedStart) throw failedStart.reason;
    log('devnet, demo miners and miner proxies ready');
    const env = options.env ?? {};
    const sidecar = await startService('sidecar', {
      env: {
        ...redis,
        ...(await postgres('pipeline_sidecar')),
        SUBTENSOR_URL: subtensorUrl,
        SIDECAR_IDENTITIES: JSON.stringify([
          { name: IDENTITY, netuid: NETUID, token: IDENTITY_TOKEN, hotkey: '//Alice' },
        ]),
        SIDECAR_OPEN_ACCESS_TOKEN: OPEN_TOKEN,
        SIDECAR_BLOCK_TIME_MS: String(BLOCK_TIME_MS),
        SIDECAR_WEIGHTS_RETRY_DELAY_MS: '500',
        SIDECAR_WEIGHTS_ATTEMPT_TIMEOUT_MS: '20000',
        ...env.sidecar,
      },
    });
    const scoring = await startService('scoring', {
      env: {
        ...redis,
        ...(await postgres('pipeline_scoring')),
        NETUID: String(NETUID),
        SCORING_IDENTITY: IDENTITY,
        ...env.scoring,
      },
    });
    const managing = await startService('managing', {
      env: {
        ...redis,
        NETUID: String(NETUID),
        VALIDATOR_HOTKEY_ADDRESS: ALICE_ADDRESS,
        MANAGING_CAPACITY_DEFAULT: '100000',
        MANAGING_CAPACITY_MIN: '100000',
        MANAGING_CAPACITY_MAX: '100000',
        MANAGING_METAGRAPH_REFRESH_MS: '5000',
        MANAGING_SCORES_REFRESH_MS: '5000',
        ...env.managing,
      },
    });
    const validator = await startService('validator', {
      env: {
        ...redis,
        NETUID: String(NETUID),
        VALIDATOR_HOTKEY: '//Alice',
        VALIDATOR_WEIGHTS_IDENTITY: IDENTITY,
        SHUTDOWN_TIMEOUT_MS: '3000',
        ...env.validator,
      },
    });
    const synthesizing = await startService('synthesizing', {
      env: {
        ...redis,
        ...(await postgres('pipeline_synthesizing')),
        SYNTHESIZING_TICK_MS: '250',
        ...env.synthesizing,
      },
    });
    let gateway: Pipeline['gateway'];
    if (options.gateway === true) {
      const database = await postgres('pipeline_gateway');
      const app = await startService('gateway', {
        env: {
          ...redis,
          ...database,
          GATEWAY_ADMIN_TOKEN,
          GATEWAY_WEBHOOK_SECRET,
          SHUTDOWN_TIMEOUT_MS: '3000',
          ...env.gateway,
        },
      });
      gateway = { app, url: `http://127.0.0.1:${app.port}`, schema: database.DATABASE_SCHEMA };
    }
    log('services ready');
    const pipeline: Pipeline = {
      devnet,
      miners,
      sidecar,
      scoring,
      managing,
      validator,
      synthesizing,
      gateway,
      schemas: schemaOf,
      restartDemoMiner: async (uid, minerEnv) => {
        const miner = miners.get(uid);
        const port = demoPorts.get(uid);
        if (!miner || port === undefined) throw new Error(`no miner with uid ${uid}`);
        await miner.demo.stop();
        demoEnvs.set(uid, minerEnv);
        miner.demo = await startDemo(uid, port);
      },
      restartService: async (name, signal = 'SIGKILL') => {
        const service = services.find((entry) => entry.name === name);
        if (!service) throw new Error(`the pipeline runs no ${name}`);
        await service.app.kill(signal);
        service.app = await startApp(name, service.options);
        if (name === 'gateway' && pipeline.gateway) pipeline.gateway.app = service.app;
        else if (name !== 'gateway') pipeline[name] = service.app;
        return Date.now();
      },
      processes: () => [
        { name: 'devnet', pid: pipeline.devnet.pid },
        ...services.map(({ name, app }) => ({ name, pid: app.pid })),
        ...[...miners].flatMap(([uid, { demo, proxy }]) => [
          { name: `miner-proxy ${uid}`, pid: proxy.pid },
          { name: `demo-miner ${uid}`, pid: demo.pid },
        ]),
      ],
      output,
      stop,
    };
    return pipeline;
  } catch (error) {
    log(`the pipeline did not start:\n${output()}`);
    await stop();
    throw error;
  }
}
