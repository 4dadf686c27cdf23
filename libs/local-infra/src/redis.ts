import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { freePort } from './net';
import { processEnded } from './process';
import { type RestartableService, superviseServer } from './restartable';

/** A service started for this run; `stop()` ends it and removes what it left on disk. */
export interface PrivateService {
  url: string;
  stop(): Promise<void>;
}

/**
 * A redis-server child process owned by this process. `restart` stops it (SIGKILL when `crash`, else SIGTERM, on
 * which Redis syncs its append-only file) and starts it on the same port and dir; without `appendOnly` the data is
 * lost on a restart.
 */
export type PrivateRedis = RestartableService;

export interface StartPrivateRedisOptions {
  /** Parent of the temporary working directory (default: the OS temp dir). */
  dir?: string;
  /** redis-server to run; looked up on PATH (and installed with apt-get when root) when omitted. */
  redisServerPath?: string;
  startTimeoutMs?: number;
  /** Keep the data in an append-only file (`appendfsync everysec`), so it survives `restart`. */
  appendOnly?: boolean;
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
    // A peer that closes without answering (a server shutting down, something else on the port) is no Redis.
    socket.once('close', () => {
      done(false);
    });
  });
}

const startAttempts = 3;

/**
 * Starts a private redis-server (loopback only, free port, temp dir; no persistence unless `appendOnly`) and waits
 * until it answers PING. `restart` starts it again on the same port and dir; `stop()` kills it and removes its dir.
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
  const removeWorkDir = () => rm(workDir, { recursive: true, force: true });
  const port = await freePort();
  // everysec: Redis's usual durable setting; a crash loses at most the last second of writes.
  const persistence = options.appendOnly ? ['yes', '--appendfsync', 'everysec'] : ['no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', ...persistence];
  args.push('--dir', workDir, '--daemonize', 'no');
  try {
    const server = await superviseServer(
      {
        name: `redis-server (${executable})`,
        port,
        errorCode: LocalInfraErrorCode.RedisStartFailed,
        // Detached: a Ctrl-C in the terminal reaches only the owner, which stops Redis after the services that use it.
        spawn: () =>
          spawn(executable, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
        ready: () => pingRedis(port),
        readiness: 'to answer PING',
        // SIGTERM: Redis syncs its append-only file and exits.
        cleanSignal: 'SIGTERM',
        cleanStopMs: 5_000,
        startTimeoutMs: options.startTimeoutMs ?? 10_000,
      },
      removeWorkDir,
    );
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      get pid() {
        return server.pid;
      },
      stop: server.stop,
      restart: server.restart,
    };
  } catch (error) {
    await removeWorkDir();
    throw error;
  }
}
