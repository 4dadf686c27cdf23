import { minerProxyConfigSchema, parseConfig } from '@vstack/config';
import { describe, expect, it } from 'vitest';
import { routeTable } from './upstreams';

describe('miner-proxy config', () => {
  it('has the documented defaults', () => {
    const config = parseConfig('miner-proxy', minerProxyConfigSchema, {});
    expect(config).toMatchObject({
      NETUID: 1,
      EPISTULA_MAX_AGE_MS: 8000,
      EPISTULA_MAX_FUTURE_MS: 2000,
      REQUIRE_VALIDATOR_PERMIT: true,
      MIN_VALIDATOR_STAKE: 0n,
      MAX_BODY_BYTES: 1_048_576,
      METAGRAPH_MAX_AGE_BLOCKS: 25,
      UPSTREAM_TIMEOUT_MS: 60_000,
    });
    expect(routeTable(config.INFERENCE_SERVER_URL, config.TRAINING_SERVER_URL, config.PROXY_ROUTES)).toEqual([
      { prefix: '/inference', upstream: 'http://127.0.0.1:8092' },
      { prefix: '/tasks', upstream: 'http://127.0.0.1:8092' },
    ]);
  });

  it('adds /train when TRAINING_SERVER_URL is set and lets PROXY_ROUTES replace or add paths', () => {
    const config = parseConfig('miner-proxy', minerProxyConfigSchema, {
      TRAINING_SERVER_URL: 'http://127.0.0.1:8093',
      PROXY_ROUTES: '/inference=http://10.0.0.2:9000, /tasks/embedding=http://10.0.0.3:9000/v1',
    });
    expect(routeTable(config.INFERENCE_SERVER_URL, config.TRAINING_SERVER_URL, config.PROXY_ROUTES)).toEqual([
      { prefix: '/inference', upstream: 'http://10.0.0.2:9000' },
      { prefix: '/tasks', upstream: 'http://127.0.0.1:8092' },
      { prefix: '/train', upstream: 'http://127.0.0.1:8093' },
      { prefix: '/tasks/embedding', upstream: 'http://10.0.0.3:9000/v1' },
    ]);
  });

  it('names every bad route and refuses reserved paths', () => {
    expect(() =>
      parseConfig('miner-proxy', minerProxyConfigSchema, {
        PROXY_ROUTES: 'inference=http://a:1,/status=http://a:1,/x=ftp://a',
        MIN_VALIDATOR_STAKE: '-1',
      }),
    ).toThrow(/inference=http:\/\/a:1[\s\S]*\/status=http:\/\/a:1[\s\S]*ftp:\/\/a[\s\S]*MIN_VALIDATOR_STAKE/);
  });
});
