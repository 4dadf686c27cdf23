import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, startApp } from './processes';

// Starts the real devnet (apps/devnet, built by tools/build.mjs) as a child process for the integration tests.

/** Builds apps/devnet into dist/apps/devnet/main.js. */
export function buildDevnet(): void {
  buildApp('devnet');
}

export interface DevnetOptions {
  port?: number;
  /** DEVNET_BLOCK_TIME_MS: 0 seals a block per transaction. */
  blockTimeMs?: number;
  /** Written to a file and passed as DEVNET_SCENARIO. */
  scenario?: unknown;
  /** DEVNET_STATE_PRUNING: blocks of state kept; every block's when left out. */
  statePruning?: number;
  /** How long it may take to become ready (20 s by default). */
  timeoutMs?: number;
}

export interface RunningDevnet {
  port: number;
  /** The process id (SIGSTOP freezes the chain: no blocks, no answers). */
  pid: number;
  url: string;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Spawns the devnet on a free (or the given) port and waits for /health/ready. */
export async function startDevnet(options: DevnetOptions = {}): Promise<RunningDevnet> {
  const folder = await mkdtemp(join(tmpdir(), 'vstack-devnet-'));
  let scenarioPath: string | undefined;
  if (options.scenario !== undefined) {
    scenarioPath = join(folder, 'scenario.json');
    await writeFile(scenarioPath, JSON.stringify(options.scenario));
  }
  try {
    const app = await startApp('devnet', {
      ...(options.port === undefined ? {} : { port: options.port }),
      timeoutMs: options.timeoutMs ?? 20_000,
      env: {
        DEVNET_BLOCK_TIME_MS: String(options.blockTimeMs ?? 0),
        DEVNET_STATE_PRUNING: options.statePruning === undefined ? 'archive' : String(options.statePruning),
        DEVNET_SCENARIO: scenarioPath,
      },
    });
    return {
      port: app.port,
      pid: app.pid,
      url: `ws://127.0.0.1:${app.port}`,
      stop: async () => {
        await app.stop();
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
