import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, type ProcessExit, processEnded, waitFor } from '@vstack/local-infra';
import { buildApp, type RunningApp, startApp, workspaceRoot } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripAnsi } from './text';

const cliMain = join(workspaceRoot, 'dist/tools/cli/main.js');
const metricsToken = 'metrics-token-for-the-cli-tests';
// A local directory with no launcher in it, so a stack running on this machine does not change what the CLI reads.
const noLauncher = join(tmpdir(), 'vstack-cli-tests-no-launcher');

/** The pids of a process's descendants, from /proc (Linux). */
function descendantsOf(pid: number): number[] {
  const childrenFile = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(childrenFile)) return [];
  const children = readFileSync(childrenFile, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

/** A command running in a pseudo-terminal (util-linux `script`), with everything it printed. */
class PtyRun {
  output = '';
  readonly ended: Promise<ProcessExit>;

  constructor(
    readonly child: ChildProcess,
    private readonly description: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.ended = processEnded(child);
  }

  static start(command: string, env: NodeJS.ProcessEnv): PtyRun {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: workspaceRoot,
      env: { ...process.env, VSTACK_LOCAL_DIR: noLauncher, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new PtyRun(child, command);
  }

  /** The screens drawn so far (each redraw starts at the top left), without colours. */
  frames(): string[] {
    return this.output
      .split('\u001b[H')
      .slice(1)
      .map((frame) => stripAnsi(frame).replace(/\r/g, ''));
  }

  async waitForFrame(matches: (frame: string) => boolean, description: string): Promise<string> {
    let found: string | undefined;
    await waitFor(
      () => {
        found = this.frames().find(matches);
        return found !== undefined;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 50,
        description: `${description} in ${this.description}:\n${this.output}`,
      },
    );
    return found ?? '';
  }

  type(keys: string): void {
    this.child.stdin?.write(keys);
  }
}

/** The req/s and total columns of a route's row in a `vstack top <service>` screen. */
function routeRow(frame: string, route: string): { rate: string; total: number } | undefined {
  const match = new RegExp(`^\\s*${route.replace(/[/]/g, '\\/')}\\s+(\\S+)\\s+(\\d+)\\s`, 'm').exec(frame);
  return match ? { rate: match[1] ?? '', total: Number(match[2]) } : undefined;
}

async function sendRefusedRequests(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/inference`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
  }
}

function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(process.execPath, [cliMain, ...args], {
    cwd: workspaceRoot,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', VSTACK_LOCAL_DIR: noLauncher, ...options.env },
  });
}

describe('vstack against a running service', () => {
  let miner: RunningApp | undefined;

  beforeAll(() => {
    buildApp('demo-miner');
    const built = spawnSync(
      process.execPath,
      ['tools/build.mjs', '--project', 'tools/cli', '--entry', 'src/main.ts'],
      { cwd: workspaceRoot, encoding: 'utf8' },
    );
    if (built.status !== 0) throw new Error(`building the cli failed: ${built.stderr}`);
  });

  beforeAll(async () => {
    miner = await startApp('demo-miner', { env: { METRICS_TOKEN: metricsToken, LOG_LEVEL: 'info' } });
  });

  afterAll(async () => {
    await miner?.stop();
  });

  // util-linux `script` and /proc: Linux only (BSD script takes other options).
  it.skipIf(process.platform !== 'linux')(
    'top shows live figures in a terminal that follow the traffic, and quits on q leaving nothing behind',
    async () => {
      const port = miner!.port;
      const run = PtyRun.start(
        `${process.execPath} ${cliMain} top demo-miner --url http://127.0.0.1:${port}`,
        {
          METRICS_TOKEN: metricsToken,
        },
      );
      try {
        const first = await run.waitForFrame((frame) => frame.includes('status'), 'a first screen');
        expect(first).toContain(`vstack top · demo-miner · http://127.0.0.1:${port}`);
        expect(first).toContain('up · ready');
        expect(routeRow(first, 'POST /inference')).toBeUndefined();

        await sendRefusedRequests(port, 25);
        const afterFirstBatch = await run.waitForFrame(
          (frame) => routeRow(frame, 'POST /inference')?.total === 25,
          'the first 25 requests',
        );
        expect(afterFirstBatch).toMatch(/^http\s+\S+\/s\s+total \d+/m);
        expect(afterFirstBatch).toMatch(/^process\s+uptime \S+\s+cpu/m);

        await sendRefusedRequests(port, 25);
        const afterSecondBatch = await run.waitForFrame(
          (frame) => routeRow(frame, 'POST /inference')?.total === 50,
          'all 50 requests',
        );
        // The refresh that saw the new requests shows them as a rate, and the 400s as client errors.
        expect(routeRow(afterSecondBatch, 'POST /inference')?.rate).toMatch(/^\d+(\.\d+)?\/s$/);
        expect(afterSecondBatch).toMatch(/POST \/inference\s+\S+\s+50\s+50\s+0\s/);

        const processes = descendantsOf(run.child.pid!);
        expect(processes.length).toBeGreaterThan(0);
        run.type('q');
        const exit = await run.ended;
        expect(exit.code).toBe(0);
        // The terminal gets its cursor and normal screen back.
        expect(run.output.endsWith('\u001b[?25h\u001b[?1049l')).toBe(true);
        await waitFor(() => processes.every((pid) => !isProcessAlive(pid)), {
          timeoutMs: 5_000,
          intervalMs: 50,
          description: 'the cli processes to be gone',
        });
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
        await run.ended;
      }
    },
  );

  it('top --once prints one reading; without the metrics token it says what is missing', () => {
    const url = `http://127.0.0.1:${miner!.port}`;
    const once = runCli(['top', 'demo-miner', '--url', url, '--once', '--interval', '0.2'], {
      env: { METRICS_TOKEN: metricsToken },
    });
    expect(once.status).toBe(0);
    expect(once.stdout).toContain('up · ready');
    expect(once.stdout).toMatch(/GET \/metrics\s+\S+\/s\s+\d+/);
    expect(once.stdout).not.toContain('\u001b[');

    const refused = runCli(['top', 'demo-miner', '--url', url, '--once', '--interval', '0.2'], {
      env: { METRICS_TOKEN: '' },
    });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('/metrics answered 401: set METRICS_TOKEN');

    // What `npx vstack` runs: the shim named by "bin" in package.json, which runs (or first builds) the bundle.
    const shim = spawnSync(process.execPath, [join(workspaceRoot, 'tools/cli/bin/vstack.mjs'), 'help'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
    });
    expect(shim.status).toBe(0);
    expect(shim.stdout).toMatch(/^usage: vstack <command>/);
    const rootPackage = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(rootPackage.bin['vstack']).toBe('tools/cli/bin/vstack.mjs');

    const unknown = runCli(['top', 'no-such-service']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown service "no-such-service"');
  });

  it('logs writes the running service’s own log lines readably, from stdin and from a file', async () => {
    await sendRefusedRequests(miner!.port, 1);
    await waitFor(() => miner!.output().includes('"msg":"request refused"'), {
      timeoutMs: 5_000,
      intervalMs: 50,
      description: 'a request log line',
    });
    const lines = miner!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));

    const fromStdin = runCli(['logs'], { input: `${lines.join('\n')}\n` });
    expect(fromStdin.status).toBe(0);
    const formatted = fromStdin.stdout.trim().split('\n');
    expect(formatted).toHaveLength(lines.length);
    expect(formatted).toContainEqual(
      expect.stringMatching(
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}demo-miner request refused correlationId=\S+ method=POST url=\/inference status=400 ms=\d+$/,
      ),
    );
    expect(formatted).toContainEqual(
      expect.stringMatching(
        /INFO {2}demo-miner demo-miner listening on http:\/\/127\.0\.0\.1:\d+ host=127\.0\.0\.1/,
      ),
    );

    const dir = await mkdtemp(join(tmpdir(), 'vstack-cli-logs-'));
    try {
      const file = join(dir, 'demo-miner.json.log');
      await writeFile(file, `${lines.join('\n')}\n`);
      const onlyWarnings = runCli(['logs', '--file', file, '--no-follow', '--level', 'warn']);
      expect(onlyWarnings.status).toBe(0);
      expect(onlyWarnings.stdout).toBe('');
      const lastTwo = runCli(['logs', '--file', file, '--no-follow', '-n', '2']);
      expect(lastTwo.stdout.trim().split('\n')).toEqual(formatted.slice(-2));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('logs <service> follows the local launcher’s log of that service until interrupted', async () => {
    const localDir = await mkdtemp(join(tmpdir(), 'vstack-cli-local-'));
    const lines = miner!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    try {
      await mkdir(join(localDir, 'logs'));
      const logFile = join(localDir, 'logs', 'demo-miner.log');
      await writeFile(logFile, `${lines[0] ?? ''}\n`);
      const child = spawn(process.execPath, [cliMain, 'logs', 'demo-miner'], {
        cwd: workspaceRoot,
        env: { ...process.env, NO_COLOR: '1', VSTACK_LOCAL_DIR: localDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const ended = processEnded(child);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        await waitFor(() => output.includes('demo-miner'), {
          timeoutMs: 10_000,
          intervalMs: 50,
          description: 'the existing line',
        });
        await appendFile(
          logFile,
          `${JSON.stringify({ level: 40, time: Date.now(), service: 'demo-miner', msg: 'appended later', uid: 7 })}\n`,
        );
        await waitFor(() => output.includes('WARN  demo-miner appended later uid=7'), {
          timeoutMs: 10_000,
          intervalMs: 50,
          description: `the appended line in:\n${output}`,
        });
        child.kill('SIGINT');
        expect((await ended).code).toBe(0);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await ended;
      }

      const missing = runCli(['logs', 'scoring'], { env: { VSTACK_LOCAL_DIR: localDir } });
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain('docker compose logs -f scoring | vstack logs');
    } finally {
      await rm(localDir, { recursive: true, force: true });
    }
  });
});
