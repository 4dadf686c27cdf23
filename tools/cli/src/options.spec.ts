import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from './options';
import { readLauncherServices, resolveTarget, urlVariableOf, UsageError } from './services';

describe('parseCommand', () => {
  it('reads top and logs with their options', () => {
    expect(parseCommand(['top'])).toEqual({
      command: 'top',
      service: undefined,
      url: undefined,
      intervalMs: 1000,
      once: false,
    });
    expect(
      parseCommand(['top', 'gateway', '--url', 'http://10.0.0.2:3000', '--interval', '2.5', '--once']),
    ).toEqual({
      command: 'top',
      service: 'gateway',
      url: 'http://10.0.0.2:3000',
      intervalMs: 2500,
      once: true,
    });
    expect(parseCommand(['logs', 'scoring', '-n', 'all', '--no-follow', '--level', 'warn'])).toEqual({
      command: 'logs',
      service: 'scoring',
      file: undefined,
      follow: false,
      lines: Number.POSITIVE_INFINITY,
      minLevel: 40,
    });
    expect(parseCommand([])).toEqual({ command: 'help' });
    expect(parseCommand(['logs', '--help'])).toEqual({ command: 'help' });
  });

  it.each([
    [['deploy'], 'unknown command "deploy"'],
    [['top', 'a', 'b'], 'at most one service'],
    [['top', '--url', 'http://x'], '--url needs a service'],
    [['top', '--interval', '0'], '--interval must be a number of seconds'],
    [['top', '--colour'], "Unknown option '--colour'"],
    [['logs', '--lines=-3'], '--lines must be a whole number or "all"'],
    [['logs', '--level', 'loud'], '--level must be one of trace, debug, info, warn, error, fatal'],
    [['logs', 'gateway', '--file', 'x.log'], 'name a service or a --file, not both'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('resolveTarget', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('takes --url, then VSTACK_<SERVICE>_URL, then the launcher, then the default port', () => {
    const launcher = {
      apps: { 'miner-proxy': 'http://127.0.0.1:41234' },
      metricsToken: 'launcher-token-123456',
    };
    const env = { VSTACK_MINER_PROXY_URL: 'http://proxy.internal:8091/' };
    expect(urlVariableOf('miner-proxy')).toBe('VSTACK_MINER_PROXY_URL');
    expect(resolveTarget('miner-proxy', { url: 'http://a:1', env, launcher })).toMatchObject({
      url: 'http://a:1',
      source: 'flag',
    });
    expect(resolveTarget('miner-proxy', { env, launcher })).toMatchObject({
      url: 'http://proxy.internal:8091',
      source: 'environment',
      metricsToken: 'launcher-token-123456',
    });
    expect(resolveTarget('miner-proxy', { env: {}, launcher })).toMatchObject({
      url: 'http://127.0.0.1:41234',
      source: 'launcher',
    });
    expect(resolveTarget('gateway', { env: { METRICS_TOKEN: 'mine-0123456789' }, launcher })).toEqual({
      name: 'gateway',
      url: 'http://127.0.0.1:3000',
      source: 'default',
      metricsToken: 'mine-0123456789',
    });
  });

  it('refuses unknown services and URLs that are not http', () => {
    expect(() => resolveTarget('gatewya', { env: {} })).toThrow(
      'unknown service "gatewya"; the services are',
    );
    expect(() => resolveTarget('gateway', { url: 'ftp://x', env: {} })).toThrow(
      '--url must be an http:// or https:// URL',
    );
    expect(() => resolveTarget('gateway', { env: { VSTACK_GATEWAY_URL: 'not a url' } })).toThrow(
      'VSTACK_GATEWAY_URL is not a URL',
    );
  });

  it('reads the launcher file, and ignores one that is missing or not its format', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vstack-cli-'));
    expect(readLauncherServices(dir)).toBeUndefined();
    await writeFile(
      join(dir, 'services.json'),
      '{"apps":{"gateway":"http://127.0.0.1:3999","x":5},"metricsToken":"t"}',
    );
    expect(readLauncherServices(dir)).toEqual({
      apps: { gateway: 'http://127.0.0.1:3999' },
      metricsToken: 't',
    });
    await writeFile(join(dir, 'services.json'), '{"apps":');
    expect(readLauncherServices(dir)).toBeUndefined();
  });
});
