import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isListening, resolveTestServices, type TestServiceSources } from './services';

function sources(options: { env?: Record<string, string>; listening?: number[] }) {
  const calls: string[] = [];
  const fake: TestServiceSources = {
    env: options.env ?? {},
    isListening: (_host, port) => Promise.resolve(options.listening?.includes(port) ?? false),
    startRedis: () => {
      calls.push('start redis');
      return Promise.resolve({
        url: 'redis://127.0.0.1:41001',
        stop: () => {
          calls.push('stop redis');
          return Promise.resolve();
        },
      });
    },
    startPostgres: () => {
      calls.push('start postgres');
      return Promise.resolve({
        url: 'postgres://postgres@127.0.0.1:41002/postgres',
        stop: () => {
          calls.push('stop postgres');
          return Promise.resolve();
        },
      });
    },
    announce: () => undefined,
  };
  return { fake, calls };
}

describe('resolveTestServices', () => {
  it('uses REDIS_URL and DATABASE_URL when set, even when local services run', async () => {
    const { fake, calls } = sources({
      env: { REDIS_URL: 'redis://cache:6380', DATABASE_URL: 'postgres://u@db:5433/x' },
      listening: [6379, 5432],
    });
    const services = await resolveTestServices(fake);
    expect(services).toMatchObject({ redisUrl: 'redis://cache:6380', databaseUrl: 'postgres://u@db:5433/x' });
    await services.stop();
    expect(calls).toEqual([]);
  });

  it('uses the local services on their standard ports when the variables are unset', async () => {
    const { fake, calls } = sources({ listening: [6379, 5432] });
    const services = await resolveTestServices(fake);
    expect(services).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await services.stop();
    expect(calls).toEqual([]);
  });

  it('starts private services when nothing else is there, and stops only those', async () => {
    const { fake, calls } = sources({ env: { DATABASE_URL: 'postgres://u@db:5433/x' } });
    const services = await resolveTestServices(fake);
    expect(services).toMatchObject({
      redisUrl: 'redis://127.0.0.1:41001',
      databaseUrl: 'postgres://u@db:5433/x',
    });
    await services.stop();
    expect(calls).toEqual(['start redis', 'stop redis']);
  });

  it('stops what it started when a later service fails to start', async () => {
    const { fake, calls } = sources({});
    fake.startPostgres = () => Promise.reject(new Error('PGlite could not start'));
    await expect(resolveTestServices(fake)).rejects.toThrow('PGlite could not start');
    expect(calls).toEqual(['start redis', 'stop redis']);
  });

  it('really starts a private redis-server and PGlite when nothing listens', async () => {
    const services = await resolveTestServices({
      env: {},
      isListening: () => Promise.resolve(false),
      announce: () => undefined,
    });
    try {
      const redisPort = Number(new URL(services.redisUrl).port);
      expect(await isListening('127.0.0.1', redisPort)).toBe(true);
      const client = new pg.Client({ connectionString: services.databaseUrl });
      await client.connect();
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      await client.end();
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await services.stop();
    }
    expect(await isListening('127.0.0.1', Number(new URL(services.redisUrl).port))).toBe(false);
    expect(await isListening('127.0.0.1', Number(new URL(services.databaseUrl).port))).toBe(false);
  }, 60_000);
});

describe('isListening', () => {
  it('tells a listening port from a closed one', async () => {
    const server: Server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(await isListening('127.0.0.1', port)).toBe(true);
    await new Promise((done) => server.close(done));
    expect(await isListening('127.0.0.1', port)).toBe(false);
  });
});
