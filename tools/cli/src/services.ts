import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appConfigSchemas, appNames } from '@vstack/config';

/** A service to watch: its name, base URL, and the bearer token for its /metrics. */
export interface ServiceTarget {
  name: string;
  url: string;
  /** Where the URL came from, shown in the header so a surprising address can be traced. */
  source: 'flag' | 'environment' | 'launcher' | 'default';
  metricsToken: string | undefined;
}

/** What the local launcher writes to `<local dir>/services.json` while it runs. */
export interface LauncherServices {
  apps: Record<string, string>;
  metricsToken?: string;
}

/** The name of the launcher's file of running services, inside the local directory. */
export const servicesFileName = 'services.json';

/** A command-line mistake, reported as a message and exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The services of the stack, in a stable order. */
export function serviceNames(): string[] {
  return [...appNames];
}

/** The service's default PORT from its config schema. */
export function defaultPortOf(name: string): number | undefined {
  if (!Object.hasOwn(appConfigSchemas, name)) return undefined;
  return appConfigSchemas[name as keyof typeof appConfigSchemas].shape.PORT.parse(undefined);
}

/** `VSTACK_<SERVICE>_URL`, e.g. VSTACK_MINER_PROXY_URL for miner-proxy. */
export function urlVariableOf(name: string): string {
  return `VSTACK_${name.toUpperCase().replace(/-/g, '_')}_URL`;
}

/** Reads the launcher's services file; undefined when there is none or it is not what the launcher writes. */
export function readLauncherServices(localDir: string): LauncherServices | undefined {
  const path = join(localDir, servicesFileName);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || !('apps' in parsed)) return undefined;
    const { apps, metricsToken } = parsed as { apps: unknown; metricsToken?: unknown };
    if (typeof apps !== 'object' || apps === null) return undefined;
    const urls = Object.fromEntries(
      Object.entries(apps).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    return { apps: urls, ...(typeof metricsToken === 'string' ? { metricsToken } : {}) };
  } catch {
    return undefined;
  }
}

function checkUrl(url: string, from: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${from} is not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`${from} must be an http:// or https:// URL, not "${url}"`);
  }
  return url.replace(/\/+$/, '');
}

/**
 * Where a service answers: `--url`, then VSTACK_<SERVICE>_URL, then the address the local launcher gave it,
 * then 127.0.0.1 on its default port. The metrics token is METRICS_TOKEN, else the launcher's.
 */
export function resolveTarget(
  name: string,
  options: {
    url?: string | undefined;
    env: Readonly<Record<string, string | undefined>>;
    launcher?: LauncherServices | undefined;
  },
): ServiceTarget {
  const metricsToken = options.env['METRICS_TOKEN'] || options.launcher?.metricsToken || undefined;
  if (options.url) return { name, url: checkUrl(options.url, '--url'), source: 'flag', metricsToken };
  const variable = urlVariableOf(name);
  const fromEnv = options.env[variable];
  if (fromEnv) return { name, url: checkUrl(fromEnv, variable), source: 'environment', metricsToken };
  const fromLauncher = options.launcher?.apps[name];
  if (fromLauncher)
    return { name, url: checkUrl(fromLauncher, servicesFileName), source: 'launcher', metricsToken };
  const port = defaultPortOf(name);
  if (port === undefined) {
    throw new UsageError(
      `unknown service "${name}"; the services are ${serviceNames().join(', ')} (or pass --url)`,
    );
  }
  return { name, url: `http://127.0.0.1:${port}`, source: 'default', metricsToken };
}
