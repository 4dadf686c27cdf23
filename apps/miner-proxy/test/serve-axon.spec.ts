import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ChainConnection, loadHotkey, SubtensorClient } from '@vstack/chain';
import { type RunningDevnet, startDevnet, workspaceRoot } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/apps/miner-proxy/main.js <args>` with the test's environment plus `env` (undefined removes). */
function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    MINER_HOTKEY: undefined,
    MINER_WALLET_NAME: undefined,
    ...env,
  };
  const child = spawn(process.execPath, [join(workspaceRoot, 'dist/apps/miner-proxy/main.js'), ...args], {
    cwd: workspaceRoot,
    env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

// The CLI as an operator runs it, against the devnet: //Dave is a miner on subnet 1 in the default scenario.
describe('miner-proxy serve-axon against the devnet', () => {
  let devnet: RunningDevnet;
  let chainEnv: Record<string, string>;

  beforeAll(async () => {
    devnet = await startDevnet({ blockTimeMs: 0 });
    chainEnv = { SUBTENSOR_URL: devnet.url, NETUID: '1' };
  });

  afterAll(async () => {
    await devnet.stop();
  });

  it("publishes the proxy's address on Dave's axon, as the metagraph then shows", async () => {
    const result = await runCli(['serve-axon', '--ip', '1.2.3.4', '--port', '9443'], {
      ...chainEnv,
      MINER_HOTKEY: '//Dave',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const dave = await loadHotkey({ kind: 'uri', uri: '//Dave' });
    const block = /in block (\d+)/.exec(result.stdout)?.[1];
    expect(result.stdout).toContain(
      `served the axon of ${dave.address} on subnet 1 at 1.2.3.4:9443 (protocol 4)`,
    );

    const connection = new ChainConnection({ endpoints: [devnet.url] });
    try {
      const metagraph = await new SubtensorClient({ connection }).metagraph(1);
      const neuron = metagraph.neurons.find((candidate) => candidate.hotkey === dave.address);
      expect(neuron?.axon).toMatchObject({ ip: '1.2.3.4', port: 9443, ipType: 4, protocol: 4 });
      expect(neuron?.axon.block).toBe(Number(block));
    } finally {
      await connection.disconnect();
    }
  });

  it('refuses a bad --ip with the option named and the usage, exit 64, before touching the chain', async () => {
    const result = await runCli(['serve-axon', '--ip', 'not-an-ip', '--port', '9443'], {
      SUBTENSOR_URL: 'ws://127.0.0.1:1',
      MINER_HOTKEY: '//Dave',
    });
    expect(result.status).toBe(64);
    expect(result.stderr).toBe(
      'miner-proxy serve-axon: --ip "not-an-ip" is not an IPv4 or IPv6 address\n' +
        'usage: node dist/apps/miner-proxy/main.js serve-axon --ip <public address> --port <port> [--protocol 4] [--netuid <netuid>, NETUID by default]\n',
    );
    expect(result.stdout).toBe('');
  });

  it('says which variables give the hotkey when none is set, exit 1, no stack', async () => {
    const result = await runCli(['serve-axon', '--ip', '1.2.3.4', '--port', '9443'], chainEnv);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "miner-proxy serve-axon: set MINER_HOTKEY or MINER_WALLET_NAME: the proxy needs the miner's hotkey\n",
    );
    expect(result.stdout).toBe('');
  });

  it("passes on the chain's refusal of a hotkey that is not registered", async () => {
    const result = await runCli(['serve-axon', '--ip', '1.2.3.4', '--port', '9443'], {
      ...chainEnv,
      MINER_HOTKEY: '//Nobody',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^miner-proxy serve-axon: .*HotKeyNotRegisteredInNetwork.*\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
