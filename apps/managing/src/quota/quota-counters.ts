import { createHash } from 'node:crypto';
import type { TaskPurpose } from '@vstack/contracts';
import type { Redis } from 'ioredis';
import { ManagingError, ManagingErrorCode } from '../errors';
import type { CounterUsage } from './quota-policy';

/** One miner's counter to take a request from, with the limits that apply to it. */
export interface ConsumeRequest {
  key: string;
  quota: number;
  syntheticLimit: number;
}

/** Whether the request was taken, and the counter after the attempt. */
export interface ConsumeResult {
  granted: boolean;
  usage: CounterUsage;
}

/**
 * The quota counters, one per (window, miner). `consume` is atomic across all the counters it is given: no two
 * callers can both take the last unit of a quota, however many run at once.
 */
export interface QuotaCounters {
  read(keys: readonly string[]): Promise<CounterUsage[]>;
  consume(requests: readonly ConsumeRequest[], purpose: TaskPurpose, ttlMs: number): Promise<ConsumeResult[]>;
}

/** Counters as hashes: field `t` counts every request, `s` the synthetic ones. */
export const READ_COUNTERS_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 't', 's')
  out[2 * i - 1] = tonumber(v[1]) or 0
  out[2 * i] = tonumber(v[2]) or 0
end
return out
`;

/**
 * ARGV: ttl (ms), purpose ('s' synthetic, 'o' organic), then quota and synthetic limit per key. Takes one request
 * from every counter whose quota allows it; returns granted (1/0), total and synthetic per key. A counter expires
 * ttl ms after its first request.
 */
export const CONSUME_COUNTERS_LUA = `
local ttl = tonumber(ARGV[1])
local synthetic = ARGV[2] == 's'
local out = {}
for i, key in ipairs(KEYS) do
  local quota = tonumber(ARGV[1 + 2 * i])
  local limit = tonumber(ARGV[2 + 2 * i])
  local v = redis.call('HMGET', key, 't', 's')
  local total = tonumber(v[1]) or 0
  local used = tonumber(v[2]) or 0
  local granted = 0
  if total < quota and ((not synthetic) or used < limit) then
    total = redis.call('HINCRBY', key, 't', 1)
    if synthetic then used = redis.call('HINCRBY', key, 's', 1) end
    if v[1] == false then redis.call('PEXPIRE', key, ttl) end
    granted = 1
  end
  out[3 * i - 2] = granted
  out[3 * i - 1] = total
  out[3 * i] = used
end
return out
`;

/** A Lua script run by its SHA-1 (EVALSHA), loaded with EVAL the first time a server does not know it. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script on `redis` with `keys` and `args`. */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export const readCountersScript = new LuaScript(READ_COUNTERS_LUA);
export const consumeCountersScript = new LuaScript(CONSUME_COUNTERS_LUA);

function numbers(reply: unknown, expected: number): number[] {
  if (!Array.isArray(reply) || reply.length !== expected || !reply.every((n) => typeof n === 'number')) {
    throw new ManagingError(
      ManagingErrorCode.QuotaStoreUnavailable,
      'unexpected reply from the quota script',
    );
  }
  return reply;
}

function storeError(error: unknown): ManagingError {
  if (error instanceof ManagingError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ManagingError(ManagingErrorCode.QuotaStoreUnavailable, `quota counters: ${message}`, {
    cause: error,
  });
}

/** The counters in Redis: one script call per read or consume, whatever the number of miners. */
export class RedisQuotaCounters implements QuotaCounters {
  constructor(private readonly redis: Redis) {}

  async read(keys: readonly string[]): Promise<CounterUsage[]> {
    if (keys.length === 0) return [];
    try {
      const reply = numbers(await readCountersScript.run(this.redis, keys, []), keys.length * 2);
      return keys.map((_, i) => ({ total: reply[2 * i] ?? 0, synthetic: reply[2 * i + 1] ?? 0 }));
    } catch (error) {
      throw storeError(error);
    }
  }

  async consume(
    requests: readonly ConsumeRequest[],
    purpose: TaskPurpose,
    ttlMs: number,
  ): Promise<ConsumeResult[]> {
    if (requests.length === 0) return [];
    const args: (string | number)[] = [ttlMs, purpose === 'synthetic' ? 's' : 'o'];
    for (const request of requests) args.push(request.quota, request.syntheticLimit);
    try {
      const reply = numbers(
        await consumeCountersScript.run(
          this.redis,
          requests.map((request) => request.key),
          args,
        ),
        requests.length * 3,
      );
      return requests.map((_, i) => ({
        granted: reply[3 * i] === 1,
        usage: { total: reply[3 * i + 1] ?? 0, synthetic: reply[3 * i + 2] ?? 0 },
      }));
    } catch (error) {
      throw storeError(error);
    }
  }
}

/** The same counters in this process's memory, with the same rules (expiry aside), for tests of the logic above. */
export class InMemoryQuotaCounters implements QuotaCounters {
  readonly counters = new Map<string, CounterUsage>();

  read(keys: readonly string[]): Promise<CounterUsage[]> {
    return Promise.resolve(
      keys.map((key) => ({ ...(this.counters.get(key) ?? { total: 0, synthetic: 0 }) })),
    );
  }

  consume(requests: readonly ConsumeRequest[], purpose: TaskPurpose): Promise<ConsumeResult[]> {
    return Promise.resolve(
      requests.map(({ key, quota, syntheticLimit }) => {
        const usage = this.counters.get(key) ?? { total: 0, synthetic: 0 };
        const granted = usage.total < quota && (purpose === 'organic' || usage.synthetic < syntheticLimit);
        if (granted) {
          usage.total += 1;
          if (purpose === 'synthetic') usage.synthetic += 1;
          this.counters.set(key, usage);
        }
        return { granted, usage: { ...usage } };
      }),
    );
  }
}
