import { once } from 'node:events';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { freePort } from '@vstack/local-infra';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ChainConnection,
  ChainErrorCode,
  SubtensorClient,
  isChainError,
  type ConnectionState,
} from '../src/index';
import { startDevnet, type RunningDevnet } from '@vstack/testing';

// Connection life against real devnet processes: failover, reconnect after a restart, nonces under load.

const fastRetry = { initialDelayMs: 50, maxDelayMs: 400, jitter: 0 };
const running: RunningDevnet[] = [];
const connections: ChainConnection[] = [];

async function devnet(options: Parameters<typeof startDevnet>[0] = {}): Promise<RunningDevnet> {
  const started = await startDevnet(options);
  running.push(started);
  return started;
}

function connect(options: ConstructorParameters<typeof ChainConnection>[0]): ChainConnection {
  const connection = new ChainConnection({ backoff: fastRetry, connectTimeoutMs: 2_000, ...options });
  connections.push(connection);
  return connection;
}

/** Resolves on the connection's next `event`. */
async function next(connection: ChainConnection, event: 'ready' | 'disconnected' | 'reset'): Promise<void> {
  await once(connection, event);
}

beforeAll(async () => {
  await cryptoWaitReady();
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.disconnect()));
  await Promise.all(running.splice(0).map((process) => process.stop()));
});

describe('ChainConnection', () => {
  it('fails over to the second endpoint when the first is dead', async () => {
    const live = await devnet();
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const connection = connect({ endpoints: [dead, live.url] });
    await connection.connect();
    expect(connection.endpoint).toBe(live.url);
    const metagraph = await new SubtensorClient({ connection }).metagraph(1);
    expect(metagraph.neurons.length).toBeGreaterThan(0);
  });

  it('moves to the next endpoint when the one in use goes away', async () => {
    const first = await devnet();
    const second = await devnet();
    const connection = connect({ endpoints: [first.url, second.url] });
    await connection.connect();
    expect(connection.endpoint).toBe(first.url);
    const ready = next(connection, 'ready');
    await first.stop();
    await ready;
    expect(connection.endpoint).toBe(second.url);
    expect(connection.state).toBe('ready');
    expect((await new SubtensorClient({ connection }).metagraph(1)).neurons.length).toBeGreaterThan(0);
  });

  it('reconnects after the devnet restarts on the same port and keeps working, writes included', async () => {
    const port = await freePort();
    const original = await devnet({ port });
    const connection = connect({ endpoints: [original.url] });
    const client = new SubtensorClient({ connection, extrinsicTimeoutMs: 20_000 });
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    await connection.connect();
    await client.serveAxon(alice, 1, { ip: '10.0.0.1', port: 1000 });
    const states: ConnectionState[] = [];
    connection.on('state', (state) => states.push(state));

    const disconnected = next(connection, 'disconnected');
    await original.stop();
    await disconnected;
    expect(connection.state).toBe('reconnecting');
    const back = Promise.race([next(connection, 'ready'), next(connection, 'reset')]);
    await devnet({ port });
    await back;
    await connection.ready();
    expect(states[0]).toBe('reconnecting');
    expect(connection.state).toBe('ready');

    // The restarted chain starts over: reads see it, and nonces come from it again.
    const metagraph = await client.metagraph(1);
    expect(metagraph.neurons.length).toBeGreaterThan(0);
    const served = await client.serveAxon(alice, 1, { ip: '10.0.0.2', port: 2000 });
    expect(served.events.map((event) => event.method)).toContain('AxonServed');
  });

  it('gives up with ConnectionFailed when no endpoint answers within the budget', async () => {
    const connection = connect({
      endpoints: [`ws://127.0.0.1:${await freePort()}`, `ws://127.0.0.1:${await freePort()}`],
      readyTimeoutMs: 1_000,
    });
    const started = Date.now();
    const error = await connection.connect().catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.ConnectionFailed)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(connection.state).toBe('idle');
  });

  it('refuses use after disconnect', async () => {
    const live = await devnet();
    const connection = connect({ endpoints: [live.url] });
    await connection.connect();
    await connection.disconnect();
    expect(connection.state).toBe('closed');
    expect(() => connection.api).toThrow(/closed/);
    const error = await connection.connect().catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.NotConnected)).toBe(true);
  });
});

describe('SubtensorClient nonces', () => {
  it('lands two extrinsics of one signer in the same block', async () => {
    const live = await devnet({ blockTimeMs: 1_500 });
    const connection = connect({ endpoints: [live.url] });
    await connection.connect();
    const client = new SubtensorClient({ connection, extrinsicTimeoutMs: 20_000 });
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const [served, weights] = await Promise.all([
      client.serveAxon(alice, 1, { ip: '10.9.9.9', port: 9090 }),
      client.setWeights(alice, 1, { '3': 1, '4': 1 }),
    ]);
    expect(weights.kind).toBe('set');
    expect(served.blockNumber).toBe(weights.result.blockNumber);
    expect(served.blockHash).toBe(weights.result.blockHash);
    expect(served.txHash).not.toBe(weights.result.txHash);
  });

  it('times out an extrinsic that does not reach a block', async () => {
    const live = await devnet({ blockTimeMs: 60_000 });
    const connection = connect({ endpoints: [live.url] });
    await connection.connect();
    const client = new SubtensorClient({ connection, extrinsicTimeoutMs: 500 });
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const error = await client
      .serveAxon(alice, 1, { ip: '10.1.1.1', port: 1 })
      .catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.Timeout)).toBe(true);
  });
});
