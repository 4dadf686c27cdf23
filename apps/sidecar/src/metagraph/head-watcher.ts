import type { ChainConnection } from '@vstack/chain';
import type { Logger } from '@vstack/observability';

/** Follows the chain's new best blocks, subscribing again each time the connection is (re)established. */
export class HeadWatcher {
  #unsubscribe: (() => unknown) | undefined;
  #stopped = false;

  constructor(
    private readonly connection: Pick<ChainConnection, 'on' | 'off' | 'ready' | 'isReady'>,
    private readonly onHead: (head: { number: number; hash: string }) => void,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  readonly #onReady = (): void => {
    void this.#subscribe();
  };

  start(): void {
    this.connection.on('ready', this.#onReady);
    if (this.connection.isReady) void this.#subscribe();
  }

  stop(): void {
    this.#stopped = true;
    this.connection.off('ready', this.#onReady);
    this.#dropSubscription();
  }

  #dropSubscription(): void {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    try {
      const result = unsubscribe?.();
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // The socket it ran on is gone already.
    }
  }

  #active(): boolean {
    return !this.#stopped;
  }

  async #subscribe(): Promise<void> {
    if (!this.#active()) return;
    try {
      this.#dropSubscription();
      const api = await this.connection.ready();
      const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
        if (this.#active()) this.onHead({ number: header.number.toNumber(), hash: header.hash.toHex() });
      });
      if (!this.#active()) {
        unsubscribe();
        return;
      }
      this.#unsubscribe = unsubscribe;
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot follow new heads; waiting for the next connection');
    }
  }
}
