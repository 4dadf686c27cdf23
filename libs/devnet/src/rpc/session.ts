import { randomBytes } from 'node:crypto';
import type { BlockRecord } from '../chain/chain';
import { RpcError, RpcErrorCode } from './rpc-error';

/** A live subscription: what it is called in notifications and what it does when a block is sealed. */
export interface Subscription {
  /** The notification method, e.g. chain_newHead. */
  notification: string;
  /** The unsubscribe methods that may end it (so chain_unsubscribeNewHeads cannot end a storage one). */
  endedBy: readonly string[];
  onBlock?(block: BlockRecord, notify: (result: unknown) => void): void;
  /** Called once when it ends (unsubscribed, connection closed, or done). */
  cleanup?(): void;
}

/**
 * One client connection's JSON-RPC state: its subscriptions and the way to push notifications to it.
 * Notifications are sent after the current response (a subscription's id always arrives first).
 */
export class RpcSession {
  private readonly subscriptions = new Map<string, Subscription>();
  private closed = false;

  constructor(
    private readonly send: (message: string) => void,
    readonly supportsSubscriptions: boolean,
  ) {}

  /** Refuses subscription methods on transports that cannot push (HTTP), as a node does. */
  requireSubscriptions(): void {
    if (!this.supportsSubscriptions) {
      throw new RpcError(
        RpcErrorCode.MethodNotFound,
        'Method not found',
        'subscriptions need a WebSocket connection',
      );
    }
  }

  subscribe(subscription: Subscription): string {
    this.requireSubscriptions();
    const id = randomBytes(8).toString('hex');
    this.subscriptions.set(id, subscription);
    return id;
  }

  /** Ends a subscription when `method` may end it; false when there is no such subscription. */
  unsubscribe(id: unknown, method: string): boolean {
    if (typeof id !== 'string' && typeof id !== 'number') return false;
    const subscription = this.subscriptions.get(String(id));
    if (!subscription?.endedBy.includes(method)) return false;
    this.end(String(id));
    return true;
  }

  /** Ends a subscription from the server side (e.g. a watched extrinsic was finalized). */
  end(id: string): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return;
    this.subscriptions.delete(id);
    subscription.cleanup?.();
  }

  notify(id: string, result: unknown): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription || this.closed) return;
    const message = JSON.stringify({
      jsonrpc: '2.0',
      method: subscription.notification,
      params: { subscription: id, result },
    });
    setImmediate(() => {
      if (!this.closed) this.send(message);
    });
  }

  onBlock(block: BlockRecord): void {
    for (const [id, subscription] of [...this.subscriptions]) {
      subscription.onBlock?.(block, (result) => {
        this.notify(id, result);
      });
    }
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.subscriptions.keys()]) this.end(id);
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }
}
