import { randomBytes } from 'node:crypto';

export type Environment = Readonly<Record<string, string | undefined>>;

/** What every app of one local run shares. */
export interface RunSettings {
  redisUrl: string;
  databaseUrl: string;
  metricsToken: string;
  gatewayAdminToken: string;
  /** Bearer token of the sidecar's local validator identity (//Alice on netuid 1 of the local chain). */
  sidecarToken: string;
  /** Bearer token of the sidecar's read routes. */
  sidecarReadToken: string;
  ports: ReadonlyMap<string, number>;
  /** Ask the apps' pretty logger for colours although their output goes through a pipe. */
  colour: boolean;
}

/** The hotkey of the devnet default scenario's first miner, whose axon is the miner proxy's default port. */
export const LOCAL_MINER_HOTKEY = '//Dave';

/** The sidecar's identity on the local chain: the default scenario's first validator. */
export const LOCAL_VALIDATOR = { name: 'validator', netuid: 1, hotkey: '//Alice' } as const;

/** That validator's hotkey as an SS58 address, for managing's VALIDATOR_HOTKEY_ADDRESS. */
export const LOCAL_VALIDATOR_ADDRESS = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

/** A random token long enough for the stack's bearer tokens (at least 16 characters). */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The environment of one app: the launcher's own, with the shared services, its port on 127.0.0.1, pretty logs,
 * and the addresses of the local chain and miner server when they run too. LOG_FORMAT, SUBTENSOR_URL and
 * INFERENCE_SERVER_URL the user set are kept.
 */
export function appEnvironment(app: string, base: Environment, run: RunSettings): NodeJS.ProcessEnv {
  const port = run.ports.get(app);
  if (port === undefined) throw new Error(`no port was assigned to ${app}`);
  const env: NodeJS.ProcessEnv = {
    ...base,
    REDIS_URL: run.redisUrl,
    DATABASE_URL: run.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_FORMAT: base['LOG_FORMAT'] || 'pretty',
    METRICS_TOKEN: run.metricsToken,
    GATEWAY_ADMIN_TOKEN: run.gatewayAdminToken,
  };
  const devnetPort = run.ports.get('devnet');
  if (devnetPort !== undefined && !base['SUBTENSOR_URL']) {
    env['SUBTENSOR_URL'] = `ws://127.0.0.1:${devnetPort}`;
  }
  const minerPort = run.ports.get('demo-miner');
  if (minerPort !== undefined && !base['INFERENCE_SERVER_URL']) {
    env['INFERENCE_SERVER_URL'] = `http://127.0.0.1:${minerPort}`;
  }
  // On the local chain the miner proxy speaks for //Dave, the default scenario's first miner; a hotkey or
  // wallet the user set wins, and against any other chain the proxy asks for one.
  if (
    app === 'miner-proxy' &&
    devnetPort !== undefined &&
    !base['SUBTENSOR_URL'] &&
    !base['MINER_HOTKEY'] &&
    !base['MINER_WALLET_NAME']
  ) {
    env['MINER_HOTKEY'] = LOCAL_MINER_HOTKEY;
  }
  // On the local chain the sidecar sets weights as //Alice, the default scenario's first validator.
  const onLocalChain = devnetPort !== undefined && !base['SUBTENSOR_URL'];
  if (app === 'sidecar' && onLocalChain && !base['SIDECAR_IDENTITIES']) {
    env['SIDECAR_IDENTITIES'] = JSON.stringify([{ ...LOCAL_VALIDATOR, token: run.sidecarToken }]);
  }
  // managing hands out the quotas of that same validator.
  if (app === 'managing' && onLocalChain && !base['VALIDATOR_HOTKEY_ADDRESS']) {
    env['VALIDATOR_HOTKEY_ADDRESS'] = LOCAL_VALIDATOR_ADDRESS;
  }
  // The validator signs its requests to miners as that validator too.
  if (app === 'validator' && onLocalChain && !base['VALIDATOR_HOTKEY'] && !base['VALIDATOR_WALLET_NAME']) {
    env['VALIDATOR_HOTKEY'] = LOCAL_VALIDATOR.hotkey;
  }
  if (app === 'sidecar' && !base['SIDECAR_OPEN_ACCESS_TOKEN']) {
    env['SIDECAR_OPEN_ACCESS_TOKEN'] = run.sidecarReadToken;
  }
  if (run.colour && base['FORCE_COLOR'] === undefined) env['FORCE_COLOR'] = '1';
  return env;
}

/** The URL with any password replaced, for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
