/** How fast each validator may call, proportional to its stake. */
export interface RateLimitOptions {
  /** Requests per minute for each 1000 TAO of stake; 0 turns the limit off. */
  perThousandTaoPerMinute: number;
  /** Requests per minute every accepted validator gets at least. */
  minPerMinute: number;
  clock?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const RAO_PER_THOUSAND_TAO = 1_000_000_000_000n;
const MAX_BUCKETS = 100_000;

/**
 * A token bucket per validator hotkey, in this process: the bucket holds one minute's worth of requests and
 * refills continuously, so a validator with twice the stake may send twice as much.
 */
export class StakeRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Requests per minute a validator with this stake (rao) may send; Infinity when the limit is off. */
  perMinute(stake: bigint): number {
    if (this.options.perThousandTaoPerMinute === 0) return Number.POSITIVE_INFINITY;
    const thousands = Number(stake / 1_000_000n) / Number(RAO_PER_THOUSAND_TAO / 1_000_000n);
    return Math.max(this.options.minPerMinute, thousands * this.options.perThousandTaoPerMinute);
  }

  /** Takes one request from the validator's bucket, or says how long until one is available. */
  take(hotkey: string, stake: bigint): RateDecision {
    const perMinute = this.perMinute(stake);
    if (!Number.isFinite(perMinute)) return { allowed: true };
    if (perMinute <= 0) return { allowed: false, retryAfterSeconds: 60 };
    const now = this.clock();
    const perMs = perMinute / 60_000;
    let bucket = this.buckets.get(hotkey);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      bucket = { tokens: perMinute, updatedAt: now };
      this.buckets.set(hotkey, bucket);
    } else {
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * perMs);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }
}
