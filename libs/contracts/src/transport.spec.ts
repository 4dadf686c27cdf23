import { describe, expect, it } from 'vitest';
import { ContractError, ContractErrorCode, RpcErrorCode, rpcError } from './errors';
import { remoteErrorBody } from './rpc-client';
import { assertPrefix, channelName, redisTransportOptions } from './transport';

describe('redisTransportOptions', () => {
  it('reads host, port, credentials and database from the URL', () => {
    expect(redisTransportOptions({ redisUrl: 'redis://user:p%40ss@cache.internal:6380/2' })).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
    });
  });

  it('defaults the port, turns on TLS for rediss and accepts IPv6 hosts', () => {
    const options = redisTransportOptions({ redisUrl: 'rediss://[::1]' });
    expect(options).toMatchObject({ host: '::1', port: 6379, tls: {} });
    expect(options.db).toBeUndefined();
    expect(options.password).toBeUndefined();
  });

  it('keeps reconnecting after Redis goes away', () => {
    const options = redisTransportOptions({ redisUrl: 'redis://127.0.0.1:6379', retryDelayMs: 250 });
    expect(options.retryAttempts).toBe(Number.POSITIVE_INFINITY);
    expect(options.retryDelay).toBe(250);
  });

  it('refuses URLs that are not Redis URLs, without echoing credentials', () => {
    const attempt = (redisUrl: string) => () => redisTransportOptions({ redisUrl });
    expect(attempt('http://user:secret@localhost:6379')).toThrow(/http: is not redis: or rediss:/);
    expect(attempt('redis://localhost:6379/zero')).toThrow(/database "zero" is not a number/);
    expect(attempt('not a url')).toThrow(ContractError);
    try {
      attempt('http://user:secret@localhost:6379')();
    } catch (error) {
      expect((error as ContractError).code).toBe(ContractErrorCode.InvalidOptions);
      expect((error as Error).message).not.toContain('secret');
    }
  });
});

describe('channel names', () => {
  it('put the prefix in front of the pattern', () => {
    expect(channelName('vstack', 'miners.select')).toBe('vstack:miners.select');
  });

  it('refuse prefixes that could reach into another stack', () => {
    expect(() => {
      assertPrefix('vstack-testnet_2');
    }).not.toThrow();
    expect(() => {
      assertPrefix('');
    }).toThrow(ContractError);
    expect(() => {
      assertPrefix('vstack:*');
    }).toThrow(/must be letters, digits, _ or -/);
  });
});

describe('remoteErrorBody', () => {
  it('keeps the code, message and details a handler answered with', () => {
    const body = rpcError('NO_MINERS', 'none left', { taskType: 'x' }).getError();
    expect(remoteErrorBody(body)).toEqual({
      code: 'NO_MINERS',
      message: 'none left',
      details: { taskType: 'x' },
    });
  });

  it("names Nest's own answers: no handler, an unknown error, a bare message", () => {
    expect(remoteErrorBody('There is no matching message handler defined in the remote service.')?.code).toBe(
      RpcErrorCode.NoHandler,
    );
    expect(remoteErrorBody({ status: 'error', message: 'Internal server error' })?.code).toBe(
      RpcErrorCode.Internal,
    );
    expect(remoteErrorBody({ status: 'error', message: 'quota gone' })).toEqual({
      code: RpcErrorCode.Unspecified,
      message: 'quota gone',
    });
  });

  it('leaves local failures alone', () => {
    expect(remoteErrorBody(new Error('Connection closed'))).toBeUndefined();
    expect(remoteErrorBody('Error: Connection lost. Trying to reconnect...')).toBeUndefined();
  });
});
