/**
 * Hands out account nonces one signer at a time. The node's next index (system_accountNextIndex, which
 * counts the pool) can lag behind a transaction just sent, so a local counter per signer keeps two
 * submissions in one block from reusing a nonce.
 */
export class NonceManager {
  readonly #next = new Map<string, number>();
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(private readonly fetchNextIndex: (address: string) => Promise<number>) {}

  /**
   * Runs `submit` with the next nonce for `address`, after every earlier submit of that signer has
   * settled. When `submit` throws, the counter is dropped so the next call asks the node again.
   */
  async withNonce<T>(address: string, submit: (nonce: number) => Promise<T>): Promise<T> {
    const previous = this.#queues.get(address) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const fromNode = await this.fetchNextIndex(address);
        const nonce = Math.max(fromNode, this.#next.get(address) ?? 0);
        try {
          const result = await submit(nonce);
          this.#next.set(address, nonce + 1);
          return result;
        } catch (error) {
          this.#next.delete(address);
          throw error;
        }
      });
    this.#queues.set(address, run);
    try {
      return await run;
    } finally {
      if (this.#queues.get(address) === run) this.#queues.delete(address);
    }
  }

  /** Forgets the local counters (after a reconnect or a chain reset), or one signer's. */
  reset(address?: string): void {
    if (address === undefined) this.#next.clear();
    else this.#next.delete(address);
  }
}
