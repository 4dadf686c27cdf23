import { describe, expect, it } from 'vitest';
import {
  appEnvironment,
  generateToken,
  LOCAL_VALIDATOR_ADDRESS,
  redactUrl,
  type RunSettings,
} from './environment';

const run: RunSettings = {
  redisUrl: 'redis://127.0.0.1:41000',
  databaseUrl: 'postgres://postgres@127.0.0.1:41001/postgres',
  metricsToken: 'metrics-token-0123456789',
  gatewayAdminToken: 'admin-token-0123456789',
  sidecarToken: 'sidecar-token-0123456789',
  sidecarReadToken: 'sidecar-read-token-0123456789',
  ports: new Map([
    ['devnet', 9944],
    ['demo-miner', 8092],
    ['miner-proxy', 8091],
    ['gateway', 3000],
    ['sidecar', 3001],
  ]),
  colour: false,
};

describe('appEnvironment', () => {
  it('points the app at the shared services, its own port and the local chain', () => {
    const env = appEnvironment('gateway', { PATH: '/usr/bin', PORT: '1', HOST: '0.0.0.0' }, run);
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      REDIS_URL: run.redisUrl,
      DATABASE_URL: run.databaseUrl,
      HOST: '127.0.0.1',
      PORT: '3000',
      LOG_FORMAT: 'pretty',
      METRICS_TOKEN: run.metricsToken,
      GATEWAY_ADMIN_TOKEN: run.gatewayAdminToken,
      SUBTENSOR_URL: 'ws://127.0.0.1:9944',
    });
    expect(env['FORCE_COLOR']).toBeUndefined();
  });

  it('sends the miner proxy to the demo miner, and keeps addresses and log format the user chose', () => {
    expect(appEnvironment('miner-proxy', {}, run)['INFERENCE_SERVER_URL']).toBe('http://127.0.0.1:8092');
    const chosen = appEnvironment(
      'miner-proxy',
      {
        SUBTENSOR_URL: 'wss://test.finney.opentensor.ai',
        INFERENCE_SERVER_URL: 'http://gpu:9000',
        LOG_FORMAT: 'json',
      },
      run,
    );
    expect(chosen).toMatchObject({
      SUBTENSOR_URL: 'wss://test.finney.opentensor.ai',
      INFERENCE_SERVER_URL: 'http://gpu:9000',
      LOG_FORMAT: 'json',
    });
  });

  it("gives the miner proxy the local chain's miner hotkey unless the user chose one or another chain", () => {
    expect(appEnvironment('miner-proxy', {}, run)['MINER_HOTKEY']).toBe('//Dave');
    expect(appEnvironment('gateway', {}, run)['MINER_HOTKEY']).toBeUndefined();
    expect(appEnvironment('miner-proxy', { MINER_HOTKEY: '//Eve' }, run)['MINER_HOTKEY']).toBe('//Eve');
    expect(
      appEnvironment('miner-proxy', { MINER_WALLET_NAME: 'miner' }, run)['MINER_HOTKEY'],
    ).toBeUndefined();
    const finney = appEnvironment(
      'miner-proxy',
      { SUBTENSOR_URL: 'wss://entrypoint-finney.opentensor.ai' },
      run,
    );
    expect(finney['MINER_HOTKEY']).toBeUndefined();
  });

  it("gives the sidecar the local chain's first validator as its identity unless the user chose one or another chain", () => {
    const local = appEnvironment('sidecar', {}, run);
    expect(JSON.parse(local['SIDECAR_IDENTITIES'] ?? '[]')).toEqual([
      { name: 'validator', netuid: 1, hotkey: '//Alice', token: run.sidecarToken },
    ]);
    expect(local['SIDECAR_OPEN_ACCESS_TOKEN']).toBe(run.sidecarReadToken);
    expect(appEnvironment('gateway', {}, run)['SIDECAR_IDENTITIES']).toBeUndefined();
    const own = '[{"name":"mine","netuid":2,"token":"my-own-token-0123456789","hotkey":"//Bob"}]';
    expect(appEnvironment('sidecar', { SIDECAR_IDENTITIES: own }, run)['SIDECAR_IDENTITIES']).toBe(own);
    const finney = appEnvironment('sidecar', { SUBTENSOR_URL: 'wss://entrypoint-finney.opentensor.ai' }, run);
    expect(finney['SIDECAR_IDENTITIES']).toBeUndefined();
  });

  it("has the validator sign as the local chain's validator unless the user chose a hotkey or another chain", () => {
    const withValidator = { ...run, ports: new Map([...run.ports, ['validator', 3005]]) };
    expect(appEnvironment('validator', {}, withValidator)['VALIDATOR_HOTKEY']).toBe('//Alice');
    expect(appEnvironment('gateway', {}, withValidator)['VALIDATOR_HOTKEY']).toBeUndefined();
    expect(
      appEnvironment('validator', { VALIDATOR_HOTKEY: '//Bob' }, withValidator)['VALIDATOR_HOTKEY'],
    ).toBe('//Bob');
    expect(
      appEnvironment('validator', { VALIDATOR_WALLET_NAME: 'validator' }, withValidator)['VALIDATOR_HOTKEY'],
    ).toBeUndefined();
    const finney = appEnvironment(
      'validator',
      { SUBTENSOR_URL: 'wss://entrypoint-finney.opentensor.ai' },
      withValidator,
    );
    expect(finney['VALIDATOR_HOTKEY']).toBeUndefined();
  });

  it("gives managing the local chain's validator as the one whose quotas it hands out", () => {
    const withManaging = { ...run, ports: new Map([...run.ports, ['managing', 3002]]) };
    expect(appEnvironment('managing', {}, withManaging)['VALIDATOR_HOTKEY_ADDRESS']).toBe(
      LOCAL_VALIDATOR_ADDRESS,
    );
    const own = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
    expect(
      appEnvironment('managing', { VALIDATOR_HOTKEY_ADDRESS: own }, withManaging)['VALIDATOR_HOTKEY_ADDRESS'],
    ).toBe(own);
    const finney = appEnvironment(
      'managing',
      { SUBTENSOR_URL: 'wss://entrypoint-finney.opentensor.ai' },
      withManaging,
    );
    expect(finney['VALIDATOR_HOTKEY_ADDRESS']).toBeUndefined();
  });

  it('asks for colours when the launcher writes to a terminal', () => {
    expect(appEnvironment('gateway', {}, { ...run, colour: true })['FORCE_COLOR']).toBe('1');
  });

  it('refuses an app without a port', () => {
    expect(() => appEnvironment('scoring', {}, run)).toThrow('no port was assigned to scoring');
  });
});

describe('tokens and URLs', () => {
  it('generates distinct tokens the config accepts', () => {
    const token = generateToken();
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(generateToken()).not.toBe(token);
  });

  it('hides passwords in printed URLs', () => {
    expect(redactUrl('redis://:secret@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/postgres')).toBe(
      'postgres://postgres@127.0.0.1:5432/postgres',
    );
  });
});
