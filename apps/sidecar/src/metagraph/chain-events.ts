import type { EventPayload, RpcClient } from '@vstack/contracts';
import type { Logger } from '@vstack/observability';
import type { Redis } from 'ioredis';

/** The events the read side broadcasts. */
export type ChainEventName = 'chain.block.new' | 'chain.epoch.new' | 'chain.metagraph.changed';

/** Where chain events go; `onceKey` names the occurrence so that replicas announce it once between them. */
export interface ChainEventSink {
  publish<E extends ChainEventName>(event: E, payload: EventPayload<E>, onceKey: string): void;
}

/** How long a claim on an occurrence is kept: longer than replicas can disagree about a block. */
const CLAIM_TTL_SECONDS = 600;

/**
 * Broadcasts over the RPC transport. Every replica sees the same heads; the first to claim an occurrence in
 * Redis (SET NX) announces it. When Redis cannot be asked, the event goes out anyway: a duplicate is better
 * than a missed epoch.
 */
export class RedisChainEvents implements ChainEventSink {
  constructor(
    private readonly client: Pick<RpcClient, 'emit'>,
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Pick<Logger, 'warn' | 'debug'>,
  ) {}

  publish<E extends ChainEventName>(event: E, payload: EventPayload<E>, onceKey: string): void {
    void this.#publish(event, payload, onceKey);
  }

  async #publish<E extends ChainEventName>(
    event: E,
    payload: EventPayload<E>,
    onceKey: string,
  ): Promise<void> {
    let claimed = true;
    try {
      const answer = await this.redis.set(`${this.keyPrefix}${onceKey}`, '1', 'EX', CLAIM_TTL_SECONDS, 'NX');
      claimed = answer === 'OK';
    } catch (error) {
      this.logger.debug({ err: error, event }, 'cannot claim an event in Redis; publishing it anyway');
    }
    if (!claimed) return;
    try {
      await this.client.emit(event, payload);
    } catch (error) {
      this.logger.warn({ err: error, event }, 'cannot publish a chain event');
    }
  }
}
