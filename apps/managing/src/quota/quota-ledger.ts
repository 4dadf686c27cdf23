import type { TaskPurpose } from '@vstack/contracts';
import type { ConsumeRequest, QuotaCounters } from './quota-counters';
import { type CounterUsage, type QuotaWindow, quotaWindowAt } from './quota-policy';

/** A request to take from one miner's quota in the current window. */
export interface LedgerConsume {
  minerKey: string;
  quota: number;
  syntheticLimit: number;
}

export interface QuotaLedgerOptions {
  counters: QuotaCounters;
  /** Prefix of every counter key, e.g. `vstack:managing:quota`. */
  keyPrefix: string;
  netuid: number;
  windowMs: number;
  /** Counters are re-read when this process's view of them is older than this. */
  viewMaxAgeMs?: number;
  clock?: () => number;
}

interface View {
  /** The keys it was read for. */
  keys: readonly string[];
  windowIndex: number;
  readAt: number;
  usage: Map<string, CounterUsage>;
}

const ZERO: CounterUsage = { total: 0, synthetic: 0 };

function larger(a: CounterUsage | undefined, b: CounterUsage): CounterUsage {
  if (!a) return b;
  return { total: Math.max(a.total, b.total), synthetic: Math.max(a.synthetic, b.synthetic) };
}

/**
 * This process's view of the quota counters of the current window. Redis holds the counters and decides every
 * consume atomically; the view (re-read at most every `viewMaxAgeMs`, updated from each consume's answer, plus the
 * requests in flight) is what selection samples from, so a selection costs one round trip to Redis. Within a
 * window counters only grow, so the view keeps the larger of what it has and what it hears.
 */
export class QuotaLedger {
  private readonly counters: QuotaCounters;
  private readonly clock: () => number;
  private readonly viewMaxAgeMs: number;
  private view: View | undefined;
  private reading: { windowIndex: number; promise: Promise<void> } | undefined;
  private readonly pending = new Map<string, CounterUsage>();

  constructor(private readonly options: QuotaLedgerOptions) {
    this.counters = options.counters;
    this.clock = options.clock ?? Date.now;
    this.viewMaxAgeMs = options.viewMaxAgeMs ?? 1_000;
  }

  get windowMs(): number {
    return this.options.windowMs;
  }

  /** The window at `now` (the clock's time by default). */
  window(now = this.clock()): QuotaWindow {
    return quotaWindowAt(now, this.options.windowMs);
  }

  /** The Redis key of a miner's counter in a window. */
  counterKey(windowIndex: number, minerKey: string): string {
    return `${this.options.keyPrefix}:${this.options.netuid}:${windowIndex}:${minerKey}`;
  }

  /**
   * Usage of each miner in the current window, requests in flight included; reads Redis when the view is stale,
   * from another window, or lacks one of the miners.
   */
  async usage(minerKeys: readonly string[], now = this.clock()): Promise<Map<string, CounterUsage>> {
    const usageOf = await this.lookup(minerKeys, now);
    return new Map(minerKeys.map((key) => [key, usageOf(key)]));
  }

  /** Like `usage`, as a function of the miner's key: what selection calls, without building a map each time. */
  async lookup(
    minerKeys: readonly string[],
    now = this.clock(),
  ): Promise<(minerKey: string) => CounterUsage> {
    const { index } = this.window(now);
    const view = this.view;
    const fresh =
      view !== undefined &&
      view.windowIndex === index &&
      now - view.readAt <= this.viewMaxAgeMs &&
      (view.keys === minerKeys || minerKeys.every((key) => view.usage.has(key)));
    if (!fresh) await this.read(index, minerKeys, now);
    const usage = this.view?.windowIndex === index ? this.view.usage : new Map<string, CounterUsage>();
    const pending = this.pending;
    if (pending.size === 0) return (key) => usage.get(key) ?? ZERO;
    return (key) => {
      const seen = usage.get(key) ?? ZERO;
      const inFlight = pending.get(key);
      return inFlight
        ? { total: seen.total + inFlight.total, synthetic: seen.synthetic + inFlight.synthetic }
        : seen;
    };
  }

  /**
   * Takes one request from each miner's quota, atomically in Redis; true for each one taken. While the call is in
   * flight other selections see the requests as used, so concurrent selections rarely pick the same last unit.
   */
  async consume(
    requests: readonly LedgerConsume[],
    purpose: TaskPurpose,
    now = this.clock(),
  ): Promise<boolean[]> {
    const { index } = this.window(now);
    for (const request of requests) this.adjustPending(request.minerKey, purpose, 1);
    try {
      const results = await this.counters.consume(
        requests.map((request): ConsumeRequest => ({
          key: this.counterKey(index, request.minerKey),
          quota: request.quota,
          syntheticLimit: request.syntheticLimit,
        })),
        purpose,
        2 * this.options.windowMs,
      );
      if (this.view?.windowIndex === index) {
        results.forEach((result, i) => {
          const key = requests[i]?.minerKey;
          if (key !== undefined && this.view)
            this.view.usage.set(key, larger(this.view.usage.get(key), result.usage));
        });
      }
      return results.map((result) => result.granted);
    } finally {
      for (const request of requests) this.adjustPending(request.minerKey, purpose, -1);
    }
  }

  private adjustPending(key: string, purpose: TaskPurpose, delta: number): void {
    const current = this.pending.get(key) ?? { total: 0, synthetic: 0 };
    const next = {
      total: current.total + delta,
      synthetic: current.synthetic + (purpose === 'synthetic' ? delta : 0),
    };
    if (next.total <= 0) this.pending.delete(key);
    else this.pending.set(key, next);
  }

  private async read(windowIndex: number, minerKeys: readonly string[], now: number): Promise<void> {
    const inFlight = this.reading;
    if (inFlight?.windowIndex === windowIndex) {
      await inFlight.promise;
      const view = this.view;
      if (view?.windowIndex === windowIndex && minerKeys.every((key) => view.usage.has(key))) return;
    }
    const promise = (async () => {
      const usage = await this.counters.read(minerKeys.map((key) => this.counterKey(windowIndex, key)));
      const previous = this.view?.windowIndex === windowIndex ? this.view.usage : undefined;
      const next = new Map<string, CounterUsage>();
      minerKeys.forEach((key, i) => next.set(key, larger(previous?.get(key), usage[i] ?? ZERO)));
      this.view = { keys: minerKeys, windowIndex, readAt: now, usage: next };
    })();
    const reading = { windowIndex, promise };
    this.reading = reading;
    try {
      await promise;
    } finally {
      if (this.reading === reading) this.reading = undefined;
    }
  }
}
