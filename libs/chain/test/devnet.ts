import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OutputTail, describeExit, freePort, processEnded, terminate, waitFor } from '@vstack/local-infra';

// Starts the real devnet (apps/devnet, built by tools/build.mjs) as a child process for the integration tests.

export const workspaceRoot = resolve(import.meta.dirname, '../../..');
const devnetMain = join(workspaceRoot, 'dist/apps/devnet/main.js');

/** Builds apps/devnet into dist/apps/devnet/main.js. */
export function buildDevnet(): void {
  const result = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', 'apps/devnet', '--entry', 'src/main.ts'],
    { cwd: workspaceRoot, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`building the devnet failed: ${result.stderr || result.stdout}`);
  }
}

export interface DevnetOptions {
  port?: number;
  /** DEVNET_BLOCK_TIME_MS: 0 seals a block per transaction. */
  blockTimeMs?: number;
  /** Written to a file and passed as DEVNET_SCENARIO. */
  scenario?: unknown;
  /** DEVNET_STATE_PRUNING: blocks of state kept; every block's when left out. */
  statePruning?: number;
}

export interface RunningDevnet {
  port: number;
  url: string;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Spawns the devnet on a free (or the given) port and waits for /health/ready. */
export async function startDevnet(options: DevnetOptions = {}): Promise<RunningDevnet> {
  const port = options.port ?? (await freePort());
  const folder = await mkdtemp(join(tmpdir(), 'vstack-chain-devnet-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DEVNET_BLOCK_TIME_MS: String(options.blockTimeMs ?? 0),
    DEVNET_STATE_PRUNING: options.statePruning === undefined ? 'archive' : String(options.statePruning),
  };
  if (options.scenario !== undefined) {
    const scenarioPath = join(folder, 'scenario.json');
    await writeFile(scenarioPath, JSON.stringify(options.scenario));
    env['DEVNET_SCENARIO'] = scenarioPath;
  } else {
    delete env['DEVNET_SCENARIO'];
  }
  const child = spawn(process.execPath, [devnetMain], {
    cwd: workspaceRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  child.stdout.on('data', (chunk: Buffer) => {
    output.append(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.append(chunk);
  });
  const ended = processEnded(child);
  let exited: string | undefined;
  void ended.then((exit) => {
    exited = describeExit(exit);
  });
  const stop = async (): Promise<void> => {
    await terminate(child, ended, 3_000);
    await rm(folder, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (exited !== undefined) throw new Error(`the devnet exited (${exited}): ${output.toString()}`);
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return response.ok;
      },
      { timeoutMs: 20_000, intervalMs: 50, description: `the devnet on port ${port}` },
    );
  } catch (error) {
    await stop();
    throw new Error(`the devnet did not become ready: ${output.toString()}`, { cause: error });
  }
  return { port, url: `ws://127.0.0.1:${port}`, stop };
}
