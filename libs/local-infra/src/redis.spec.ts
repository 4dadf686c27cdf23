import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { isPortFree, waitFor } from './net';
import { isProcessAlive } from './process';
import {
  locateRedisServer,
  pingRedis,
  type PrivateRedis,
  type RedisInstallSystem,
  startPrivateRedis,
} from './redis';

function fakeSystem(options: { installed: boolean; root: boolean; aptGet: boolean; installCode?: number }) {
  const runs: string[] = [];
  let installed = options.installed;
  const system: RedisInstallSystem = {
    findExecutable: (name) => {
      if (name === 'redis-server') return installed ? '/usr/bin/redis-server' : undefined;
      if (name === 'apt-get') return options.aptGet ? '/usr/bin/apt-get' : undefined;
      return undefined;
    },
    isRoot: () => options.root,
    run: (command, args) => {
      runs.push([command, ...args].join(' '));
      if (args[0] === 'install' && (options.installCode ?? 0) === 0) installed = true;
      return Promise.resolve(args[0] === 'install' ? (options.installCode ?? 0) : 0);
    },
    announce: () => undefined,
  };
  return { system, runs };
}

describe('locateRedisServer', () => {
  it('uses redis-server from PATH without installing anything', async () => {
    const { system, runs } = fakeSystem({ installed: true, root: true, aptGet: true });
    expect(await locateRedisServer(system)).toBe('/usr/bin/redis-server');
    expect(runs).toEqual([]);
  });

  it('installs it with apt-get when running as root', async () => {
    const { system, runs } = fakeSystem({ installed: false, root: true, aptGet: true });
    expect(await locateRedisServer(system)).toBe('/usr/bin/redis-server');
    expect(runs).toEqual(['apt-get update', 'apt-get install -y redis-server']);
  });

  it('tells a non-root user how to install it or to set REDIS_URL', async () => {
    const { system, runs } = fakeSystem({ installed: false, root: false, aptGet: true });
    const located = locateRedisServer(system);
    await expect(located).rejects.toThrow(
      /redis-server was not found on PATH.*apt-get install redis-server.*REDIS_URL/,
    );
    await expect(located).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof LocalInfraError && error.code === LocalInfraErrorCode.RedisNotInstalled,
    );
    expect(runs).toEqual([]);
  });

  it('gives up with the same advice when there is no apt-get', async () => {
    const { system } = fakeSystem({ installed: false, root: true, aptGet: false });
    await expect(locateRedisServer(system)).rejects.toThrow(/REDIS_URL/);
  });

  it('reports a failed install', async () => {
    const { system } = fakeSystem({ installed: false, root: true, aptGet: true, installCode: 100 });
    await expect(locateRedisServer(system)).rejects.toThrow(
      /apt-get install redis-server failed \(exit code 100\).*REDIS_URL/,
    );
  });
});

describe('startPrivateRedis', () => {
  let parent: string;
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'local-infra-redis-spec-'));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('starts a redis-server that answers PING and leaves nothing behind when stopped', async () => {
    const redis = await startPrivateRedis({ dir: parent });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await pingRedis(redis.port)).toBe(true);
    expect(isProcessAlive(redis.pid)).toBe(true);
    expect(await readdir(parent)).toHaveLength(1);

    await redis.stop();
    expect(isProcessAlive(redis.pid)).toBe(false);
    expect(await isPortFree(redis.port)).toBe(true);
    expect(await readdir(parent)).toEqual([]);
    await redis.stop();
  });

  it('quotes the server output when it dies during start-up', async () => {
    const script = join(parent, 'broken-redis-server');
    await writeFile(script, '#!/bin/sh\necho "FATAL CONFIG FILE ERROR: bad directive"\nexit 1\n');
    await chmod(script, 0o755);
    const started = startPrivateRedis({ dir: parent, redisServerPath: script });
    await expect(started).rejects.toThrow(
      /exited during start-up \(exit code 1\)[\s\S]*FATAL CONFIG FILE ERROR/,
    );
    expect((await readdir(parent)).filter((name) => name.startsWith('vstack-redis-'))).toEqual([]);
    expect(existsSync(script)).toBe(true);
  });

  it('restarts on the same port, empty, without its append-only file', async () => {
    const redis = await startPrivateRedis({ dir: parent });
    try {
      await write(redis, 'lost', 'yes');
      const { pid } = redis;
      await redis.restart();
      expect(redis.pid).not.toBe(pid);
      expect(await read(redis, 'lost')).toBeNull();
    } finally {
      await redis.stop();
    }
  });
});

async function write(redis: PrivateRedis, key: string, value: string): Promise<void> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    await client.set(key, value);
  } finally {
    client.disconnect();
  }
}

async function read(redis: PrivateRedis, key: string): Promise<string | null> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

describe('startPrivateRedis with its append-only file', () => {
  let parent: string;
  let redis: PrivateRedis;
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'local-infra-redis-aof-spec-'));
    redis = await startPrivateRedis({ dir: parent, appendOnly: true });
  });
  afterAll(async () => {
    await redis.stop();
    await rm(parent, { recursive: true, force: true });
  });

  it('keeps its data, port and directory through a clean restart', async () => {
    await write(redis, 'clean', 'kept');
    const { port, pid, url } = redis;
    const dirs = await readdir(parent);
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.url).toBe(url);
    expect(redis.pid).not.toBe(pid);
    expect(isProcessAlive(pid)).toBe(false);
    expect(isProcessAlive(redis.pid)).toBe(true);
    expect(await readdir(parent)).toEqual(dirs);
    expect(await read(redis, 'clean')).toBe('kept');
  });

  it('keeps what its append-only file had synced through a crash', async () => {
    await write(redis, 'crash', 'kept');
    // appendfsync everysec: a write is on disk within a second.
    await sleep(1_100);
    const { port, pid } = redis;
    await redis.restart({ crash: true, downMs: 200 });
    expect(redis.port).toBe(port);
    expect(isProcessAlive(pid)).toBe(false);
    expect(await read(redis, 'crash')).toBe('kept');
  });

  it('starts again once its port, taken while it was down, is free', async () => {
    const { port } = redis;
    // Drops what connects, so the readiness check never takes it for Redis.
    const blocker = createServer((socket) => socket.destroy());
    const restarted = redis.restart({ crash: true, downMs: 300 });
    await waitFor(() => isPortFree(port), { timeoutMs: 2_000, intervalMs: 5 });
    await new Promise<void>((listening, failed) => {
      blocker.once('error', failed);
      blocker.listen({ host: '127.0.0.1', port, exclusive: true }, listening);
    });
    await sleep(800);
    await new Promise((closed) => blocker.close(closed));
    await restarted;
    expect(redis.port).toBe(port);
    expect(await read(redis, 'crash')).toBe('kept');
  });

  it('stops without leaving a process or its directory, and then refuses to restart', async () => {
    const { pid, port } = redis;
    await redis.stop();
    expect(isProcessAlive(pid)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
    expect(await readdir(parent)).toEqual([]);
    await expect(redis.restart()).rejects.toThrow(/was stopped and cannot be restarted/);
  });
});
