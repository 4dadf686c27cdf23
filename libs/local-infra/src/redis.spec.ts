import { isProcessAlive } from './process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalInfraError, LocalInfraErrorCode } from './errors';
import { isPortFree } from './net';
import { locateRedisServer, pingRedis, type RedisInstallSystem, startPrivateRedis } from './redis';

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
});
