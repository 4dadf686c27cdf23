import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, OutputTail, processEnded, terminate, waitFor } from '@vstack/local-infra';
import { parse, stringify } from 'yaml';

// A real Prometheus for the metrics test: the committed deploy/prometheus/prometheus.yml with its targets pointed
// at processes on this machine, so the file the compose stack runs is the one tested.

/** The first executable called `name` on PATH, if any. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const folder of path.split(delimiter)) {
    if (!folder) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

interface ScrapeConfig {
  job_name: string;
  authorization?: { credentials_file?: string };
  static_configs?: { targets: string[] }[];
  [key: string]: unknown;
}

interface PrometheusConfig {
  global?: Record<string, unknown>;
  scrape_configs?: ScrapeConfig[];
}

/**
 * The committed config with each job's targets replaced by `targets[job]` (jobs not in it are dropped), the
 * token file replaced by `credentialsFile` and a short scrape interval. Fails on a target for a job the file has
 * not, so the test cannot scrape what the compose stack would not.
 */
export function localPrometheusConfig(
  committed: string,
  targets: Readonly<Record<string, readonly string[]>>,
  credentialsFile: string,
  scrapeInterval = '1s',
): string {
  const config = parse(committed) as PrometheusConfig;
  const jobs = config.scrape_configs ?? [];
  for (const job of Object.keys(targets)) {
    if (!jobs.some((scrape) => scrape.job_name === job)) throw new Error(`the config has no job ${job}`);
  }
  const scrapeConfigs = jobs
    .filter((scrape) => (targets[scrape.job_name] ?? []).length > 0)
    .map((scrape) => {
      if (scrape.authorization?.credentials_file === undefined) {
        throw new Error(`job ${scrape.job_name} sends no metrics token`);
      }
      return {
        ...scrape,
        authorization: { ...scrape.authorization, credentials_file: credentialsFile },
        static_configs: [{ targets: [...(targets[scrape.job_name] ?? [])] }],
      };
    });
  return stringify({
    ...config,
    global: { ...config.global, scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval },
    scrape_configs: scrapeConfigs,
  });
}

/** The answer of /api/v1/query. */
export interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<QueryAnswer>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `binary` on a free port with the config `configFor` writes for the token's file, in a throwaway folder,
 * and waits until it is ready.
 */
export async function startPrometheus(
  binary: string,
  token: string,
  configFor: (tokenFile: string) => string,
): Promise<RunningPrometheus> {
  const folder = await mkdtemp(join(tmpdir(), 'vstack-prometheus-'));
  const tokenFile = join(folder, 'metrics-token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const configFile = join(folder, 'prometheus.yml');
  await writeFile(configFile, configFor(tokenFile));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(folder, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = OutputTail.of(child);
  const ended = processEnded(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await terminate(child, ended, 5_000);
    await rm(folder, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${output.toString()}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'prometheus ready' },
    );
  } catch (error) {
    await stop();
    throw new Error(`prometheus did not start: ${output.toString()}`, { cause: error });
  }
  return {
    url,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
      return (await response.json()) as QueryAnswer;
    },
    output: () => output.toString(),
    stop,
  };
}

/** The committed Prometheus config of the compose stack. */
export function committedPrometheusConfig(workspaceRoot: string): string {
  return readFileSync(join(workspaceRoot, 'deploy/prometheus/prometheus.yml'), 'utf8');
}
