import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { freePort, waitFor } from './net';
import { describeExit, OutputTail, processEnded, terminate } from './process';

/** A service started for this run; `stop()` ends it and removes what it left on disk. */
export interface PrivateService {
  url: string;
  stop(): Promise<void>;
}

/** A redis-server child process owned by this process. */
export interface PrivateRedis extends PrivateService {
  pid: number;
  port: number;
}

export interface StartPrivateRedisOptions {
  /** Parent of the temporary working directory (default: the OS temp dir). */
  dir?: string;
  /** redis-server to run; looked up on PATH (and installed with apt-get when root) when omitted. */
  redisServerPath?: string;
  startTimeoutMs?: number;
}

/** What finding or installing redis-server touches, so the decision can be tested without a machine to change. */
export interface RedisInstallSystem {
  findExecutable(name: string): string | undefined;
  isRoot(): boolean;
  run(command: string, args: readonly string[]): Promise<number>;
  announce(message: string): void;
}

const installHint =
  'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) ' +
  'or set REDIS_URL to a Redis server you run.';

/** Looks for an executable file on PATH. */
export function findOnPath(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const hostSystem: RedisInstallSystem = {
  findExecutable: (name) => findOnPath(name),
  isRoot: () => process.getuid?.() === 0,
  run: (command, args) =>
    new Promise((resolveCode) => {
      process.stderr.write(`$ ${command} ${args.join(' ')}\n`);
      const child = spawn(command, args, {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      void processEnded(child).then((exit) => {
        resolveCode(exit.code ?? 1);
      });
    }),
  announce: (message) => {
    process.stderr.write(`${message}\n`);
  },
};

/** The path of redis-server: from PATH, else installed with apt-get when running as root on a Debian-like system. */
export async function locateRedisServer(system: RedisInstallSystem = hostSystem): Promise<string> {
  const found = system.findExecutable('redis-server');
  if (found) return found;
  if (!system.isRoot() || !system.findExecutable('apt-get')) {
    throw new LocalInfraError(
      LocalInfraErrorCode.RedisNotInstalled,
      `redis-server was not found on PATH. ${installHint}`,
    );
  }
  system.announce('redis-server was not found on PATH; installing it with apt-get.');
  // A failed update (e.g. one unreachable mirror) does not always stop the install, so only the install decides.
  await system.run('apt-get', ['update']);
  const code = await system.run('apt-get', ['install', '-y', 'redis-server']);
  const installed = system.findExecutable('redis-server');
  if (code !== 0 || !installed) {
    throw new LocalInfraError(
      LocalInfraErrorCode.RedisNotInstalled,
      `apt-get install redis-server failed (exit code ${code}). ${installHint}`,
    );
  }
  return installed;
}

/** True when a Redis server at host:port answers PING with PONG. */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolvePing(answered);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

const startAttempts = 3;

/**
 * Starts a throw-away redis-server (no persistence, loopback only, free port, temp dir) and waits until it
 * answers PING. `stop()` kills it and removes its directory.
 */
export async function startPrivateRedis(options: StartPrivateRedisOptions = {}): Promise<PrivateRedis> {
  const executable = options.redisServerPath ?? (await locateRedisServer());
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(executable, options);
    } catch (error) {
      // Another process may take the free port between choosing it and redis binding it.
      const portTaken = error instanceof LocalInfraError && error.message.includes('Address already in use');
      if (!portTaken || attempt >= startAttempts) throw error;
    }
  }
}

async function startRedisOnce(executable: string, options: StartPrivateRedisOptions): Promise<PrivateRedis> {
  const workDir = await mkdtemp(join(options.dir ?? tmpdir(), 'vstack-redis-'));
  const port = await freePort();
  // Detached: a Ctrl-C in the terminal reaches only the owner, which stops Redis after the services that use it.
  const child = spawn(
    executable,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      workDir,
      '--daemonize',
      'no',
    ],
    { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const output = new OutputTail();
  child.stdout.on('data', (chunk: Buffer) => {
    output.append(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.append(chunk);
  });
  const ended = processEnded(child);
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await terminate(child, ended, 5_000);
      process.off('exit', killOnExit);
      await rm(workDir, { recursive: true, force: true });
    })());

  const startUp = new AbortController();
  void ended.then((exit) => {
    startUp.abort(
      new LocalInfraError(
        LocalInfraErrorCode.RedisStartFailed,
        `redis-server (${executable}) exited during start-up (${describeExit(exit)}). Its output:\n${output.toString()}`,
      ),
    );
  });
  try {
    await waitFor(() => pingRedis(port), {
      timeoutMs: options.startTimeoutMs ?? 10_000,
      intervalMs: 50,
      description: `redis-server on 127.0.0.1:${port} to answer PING`,
      signal: startUp.signal,
    });
  } catch (error) {
    await stop();
    if (error instanceof LocalInfraError && error.code === LocalInfraErrorCode.Timeout) {
      throw new LocalInfraError(
        LocalInfraErrorCode.RedisStartFailed,
        `${error.message}. Its output:\n${output.toString()}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    startUp.abort();
  }
  if (child.pid === undefined)
    throw new LocalInfraError(LocalInfraErrorCode.RedisStartFailed, 'redis-server has no pid');
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, stop };
}
