import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Axon, MinerDeclaration } from '@vstack/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, minerHotkey, silentLogger } from '../../test/fixtures';
import {
  HttpMinerStatusReader,
  MinerDeclarations,
  type MinerStatusReader,
  statusUrlOf,
} from './miner-declarations';
import { type Miner, minerKeyOf } from './miner-registry';

function miner(uid: number, port = 8091): Miner {
  const hotkey = minerHotkey(uid);
  return { uid, hotkey, axon: { ip: '10.0.0.1', port, protocol: 4 }, key: minerKeyOf(uid, hotkey) };
}

class FakeReader implements MinerStatusReader {
  readonly byPort = new Map<number, MinerDeclaration | Error>();
  reads = 0;

  read(axon: Axon): Promise<MinerDeclaration> {
    this.reads += 1;
    const answer = this.byPort.get(axon.port) ?? new Error('connect ECONNREFUSED');
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
}

function setup() {
  const clock = new ManualClock();
  const reader = new FakeReader();
  const declarations = new MinerDeclarations({
    reader,
    capacity: { defaultCapacity: 256, minCapacity: 16, maxCapacity: 1_024 },
    defaultTaskTypes: ['arithmetic', 'summarization'],
    intervalMs: 300_000,
    timeoutMs: 500,
    logger: silentLogger(),
    clock: clock.now,
  });
  return { clock, reader, declarations };
}

describe("miners' declarations", () => {
  it('apply the declared capacity, clamped, and the declared task types', async () => {
    const { reader, declarations } = setup();
    reader.byPort.set(1, { capacity: 64, taskTypes: ['arithmetic', 'embedding'] });
    reader.byPort.set(2, { capacity: 1_000_000 });
    reader.byPort.set(3, { taskTypes: [] });
    const miners = [miner(1, 1), miner(2, 2), miner(3, 3), miner(4, 4)];
    await declarations.refresh(miners);
    const [one, two, three, four] = miners as [Miner, Miner, Miner, Miner];
    expect(declarations.capacityOf(one)).toBe(64);
    expect(declarations.serves(one, 'embedding')).toBe(true);
    expect(declarations.serves(one, 'summarization')).toBe(false);
    expect(declarations.capacityOf(two)).toBe(1_024);
    expect(declarations.serves(two, 'summarization')).toBe(true);
    expect(declarations.serves(three, 'arithmetic')).toBe(false);
    // A miner that does not answer gets the default capacity and every default task type.
    expect(declarations.of(four)).toMatchObject({
      capacity: 256,
      capacityDeclared: false,
      taskTypes: ['arithmetic', 'summarization'],
      taskTypesDeclared: false,
      error: 'connect ECONNREFUSED',
    });
  });

  it('are read again after the interval (failed reads sooner), keeping the last good one on failure', async () => {
    const { clock, reader, declarations } = setup();
    const one = miner(1, 1);
    const two = miner(2, 2);
    reader.byPort.set(1, { capacity: 64 });
    await declarations.refresh([one, two]);
    expect(reader.reads).toBe(2);
    clock.advance(59_999);
    await declarations.refresh([one, two]);
    expect(reader.reads).toBe(2);
    clock.advance(1);
    await declarations.refresh([one, two]);
    expect(reader.reads).toBe(3);
    reader.byPort.set(1, new Error('timeout'));
    clock.advance(300_000);
    await declarations.refresh([one, two]);
    expect(declarations.of(one)).toMatchObject({ capacity: 64, error: 'timeout' });
    declarations.forget(one.key);
    expect(declarations.capacityOf(one)).toBe(256);
  });
});

describe('the HTTP status reader', () => {
  let server: Server;
  let port: number;
  const reader = new HttpMinerStatusReader();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const send = (status: number, body: string) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(body);
      };
      if (request.url === '/status') {
        send(200, JSON.stringify({ service: 'miner-proxy', capacity: 128, taskTypes: ['arithmetic'] }));
      } else {
        send(404, '{"error":{"code":"not_found"}}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await reader.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("reads capacity and task types from the miner's GET /status", async () => {
    expect(await reader.read({ ip: '127.0.0.1', port, protocol: 4 }, 1_000)).toEqual({
      capacity: 128,
      taskTypes: ['arithmetic'],
    });
  });

  it('takes the declaration from a 503 too (a component of the proxy is down), not from other errors', async () => {
    const busy = createServer((_, response) => {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"capacity":32}');
    });
    const missing = createServer((_, response) => {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    });
    for (const server of [busy, missing])
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const axonOf = (server: Server) => ({
      ip: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      protocol: 4,
    });
    expect(await reader.read(axonOf(busy), 1_000)).toEqual({ capacity: 32 });
    await expect(reader.read(axonOf(missing), 1_000)).rejects.toThrow('answered 404');
    for (const server of [busy, missing]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a miner that does not answer in time or answers garbage', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const started = performance.now();
    await expect(reader.read({ ip: '127.0.0.1', port: silentPort, protocol: 4 }, 200)).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1_000);
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));

    const garbage = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"capacity":"lots"}');
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    const garbagePort = (garbage.address() as AddressInfo).port;
    await expect(reader.read({ ip: '127.0.0.1', port: garbagePort, protocol: 4 }, 1_000)).rejects.toThrow(
      /status document managing cannot use/,
    );
    garbage.closeAllConnections();
    await new Promise((resolve) => garbage.close(resolve));
  });

  it('puts IPv6 axons in brackets', () => {
    expect(statusUrlOf({ ip: '2001:db8::1', port: 8091, protocol: 6 })).toBe(
      'http://[2001:db8::1]:8091/status',
    );
  });
});
