import { EventEmitter } from 'node:events';
import type { ChainConnection, Metagraph } from '@vstack/chain';
import { createLogger } from '@vstack/observability';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MinerProxyError } from './errors';
import { BLOCK_TIME_MS, ChainMetagraphSource, MetagraphCache } from './metagraph-source';

const neurons = [{ hotkey: 'validator', validatorPermit: true, stake: 5n }];

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof MinerProxyError ? error.code : 'other';
  }
}

describe('MetagraphCache', () => {
  it('refuses before the first read, then answers from memory', () => {
    const cache = new MetagraphCache(1, 3, () => 0);
    expect(codeOf(() => cache.standing('validator'))).toBe('metagraph_unavailable');
    cache.update({ block: 10, neurons });
    expect(cache.standing('validator')).toEqual({ validatorPermit: true, stake: 5n });
    expect(cache.standing('stranger')).toBeUndefined();
  });

  it('is stale when the head runs ahead by more than the limit', () => {
    const cache = new MetagraphCache(1, 3, () => 0);
    cache.update({ block: 10, neurons });
    cache.noteHead(13);
    expect(cache.status()).toMatchObject({ ageBlocks: 3, stale: false });
    cache.noteHead(14);
    expect(codeOf(() => cache.standing('validator'))).toBe('metagraph_stale');
  });

  it('is stale when no refresh lands for longer than the limit in block times', () => {
    let now = 0;
    const cache = new MetagraphCache(1, 3, () => now);
    cache.update({ block: 10, neurons });
    now = 4 * BLOCK_TIME_MS;
    expect(cache.status()).toMatchObject({ ageBlocks: 4, stale: true });
    cache.update({ block: 10, neurons });
    expect(cache.status().stale).toBe(false);
  });
});

class FakeConnection extends EventEmitter {
  heads: ((header: { number: { toNumber(): number } }) => void)[] = [];
  connect() {
    setImmediate(() => this.emit('ready', { endpoint: 'fake', reconnected: false }));
    return Promise.resolve();
  }
  ready() {
    return Promise.resolve({
      rpc: {
        chain: {
          subscribeNewHeads: (listener: (header: { number: { toNumber(): number } }) => void) => {
            this.heads.push(listener);
            return Promise.resolve(() => undefined);
          },
        },
      },
    });
  }
  disconnect() {
    return Promise.resolve();
  }
}

describe('ChainMetagraphSource', () => {
  it('reads the metagraph on connect and again on each new head, never per request', async () => {
    const connection = new FakeConnection();
    let block = 7;
    let reads = 0;
    const client = {
      metagraph: () => {
        reads += 1;
        return Promise.resolve({ block, neurons } as unknown as Metagraph);
      },
    };
    const stream = new PassThrough();
    stream.resume();
    const logger = createLogger({ service: 'test', level: 'silent', format: 'json', destination: stream });
    const source = new ChainMetagraphSource(
      new MetagraphCache(1, 3),
      connection as unknown as ChainConnection,
      client,
      logger,
    );
    await source.start();
    await expect.poll(() => source.status().block).toBe(7);
    for (let i = 0; i < 100; i += 1) source.standing('validator');
    const afterStart = reads;
    block = 8;
    await expect.poll(() => connection.heads.length).toBe(1);
    connection.heads[0]?.({ number: { toNumber: () => 8 } });
    await expect.poll(() => source.status().block).toBe(8);
    expect(reads).toBeGreaterThan(afterStart);
    await source.stop();
  });
});
