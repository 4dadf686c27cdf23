import { type AppName, appConfigSchemas, appNames, type Environment, parseConfig } from '@vstack/config';
import { z } from 'zod';

/** The app an image was built for, from VSTACK_APP (set by the Dockerfile). */
export function imageApp(env: Environment): AppName {
  const app = env.VSTACK_APP;
  const known = appNames.find((name) => name === app);
  if (known === undefined) {
    throw new Error(
      `VSTACK_APP must name one of ${appNames.join(', ')} (got ${app === undefined ? 'nothing' : `"${app}"`})`,
    );
  }
  return known;
}

/** The liveness URL of an app: the HOST and PORT it resolves from the same environment, with its defaults. */
export function livenessUrl(app: AppName, env: Environment): URL {
  const { HOST, PORT } = appConfigSchemas[app].shape;
  const { HOST: host, PORT: port } = parseConfig(app, z.object({ HOST, PORT }), env);
  // A wildcard bind answers on loopback; a specific address answers only there.
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return new URL(`http://${target.includes(':') ? `[${target}]` : target}:${port}/health/live`);
}

/** True when a GET of the URL answers 2xx within the timeout. */
export async function isLive(url: URL, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
