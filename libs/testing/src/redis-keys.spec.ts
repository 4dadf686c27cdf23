import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueTestName } from './isolation';
import { deleteRedisKeysWithPrefix, escapeRedisGlob } from './redis-keys';

describe('deleteRedisKeysWithPrefix', () => {
  const redisUrl = inject('redisUrl');
  const redis = new Redis(redisUrl);
  const prefix = uniqueTestName('redis keys');
  const neighbour = `${prefix}x`.replace(/^t_/, 'u_');
  afterAll(async () => {
    await redis.del(`${neighbour}:kept`);
    redis.disconnect();
  });

  it('deletes every key under the prefix and nothing else', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `${prefix}:queue:${i}`);
    for (let i = 0; i < keys.length; i += 500) {
      await redis.mset(...keys.slice(i, i + 500).flatMap((key) => [key, '1']));
    }
    await redis.set(`${neighbour}:kept`, '1');

    expect(await deleteRedisKeysWithPrefix(redisUrl, prefix)).toBe(2500);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    expect(await redis.get(`${neighbour}:kept`)).toBe('1');
  });

  it('treats glob characters in the prefix literally', () => {
    expect(escapeRedisGlob('a*b?c[d]e\\')).toBe('a\\*b\\?c\\[d\\]e\\\\');
  });
});
