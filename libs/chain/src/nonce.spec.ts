import { describe, expect, it } from 'vitest';
import { NonceManager } from './nonce';

describe('NonceManager', () => {
  it('gives two submissions in one block consecutive nonces even when the node still reports the old one', async () => {
    const manager = new NonceManager(() => Promise.resolve(5));
    const nonces = await Promise.all([
      manager.withNonce('alice', (nonce) => Promise.resolve(nonce)),
      manager.withNonce('alice', (nonce) => Promise.resolve(nonce)),
      manager.withNonce('bob', (nonce) => Promise.resolve(nonce)),
    ]);
    expect(nonces).toEqual([5, 6, 5]);
  });

  it('runs one submission per signer at a time, in call order', async () => {
    const manager = new NonceManager(() => Promise.resolve(0));
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = manager.withNonce('alice', async (nonce) => {
      order.push(`start ${nonce}`);
      await gate;
      order.push(`end ${nonce}`);
    });
    const second = manager.withNonce('alice', (nonce) => {
      order.push(`start ${nonce}`);
      return Promise.resolve();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['start 0']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['start 0', 'end 0', 'start 1']);
  });

  it('follows the node when it is ahead, and asks it again after a failed submission', async () => {
    let fromNode = 3;
    const manager = new NonceManager(() => Promise.resolve(fromNode));
    expect(await manager.withNonce('alice', (nonce) => Promise.resolve(nonce))).toBe(3);
    fromNode = 10;
    expect(await manager.withNonce('alice', (nonce) => Promise.resolve(nonce))).toBe(10);
    await expect(manager.withNonce('alice', () => Promise.reject(new Error('rejected')))).rejects.toThrow(
      'rejected',
    );
    fromNode = 11;
    expect(await manager.withNonce('alice', (nonce) => Promise.resolve(nonce))).toBe(11);
  });

  it('forgets its counters on reset (a restarted chain starts from the node again)', async () => {
    let fromNode = 7;
    const manager = new NonceManager(() => Promise.resolve(fromNode));
    await manager.withNonce('alice', (nonce) => Promise.resolve(nonce));
    fromNode = 0;
    manager.reset();
    expect(await manager.withNonce('alice', (nonce) => Promise.resolve(nonce))).toBe(0);
  });
});
