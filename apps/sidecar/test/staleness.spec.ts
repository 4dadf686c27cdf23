import type { ApiError, NeuronsResponse } from '@vstack/sidecar-client';
import { type RunningDevnet, startDevnet } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { get, metricValue, type RunningSidecar, startSidecar } from './sidecar-process';

// The chain goes away under a running sidecar and comes back on the same port. A block every 250 ms, and the
// sidecar told so: answers age four blocks a second while no head arrives (soft limit 4, hard limit 8).

const BLOCK_TIME_MS = 250;
const path = '/api/v1/subnet/1/block/latest/neurons';

let devnet: RunningDevnet | undefined;
let sidecar: RunningSidecar;
let port: number;

beforeAll(async () => {
  devnet = await startDevnet({ blockTimeMs: BLOCK_TIME_MS });
  port = devnet.port;
  sidecar = await startSidecar('sidecar_stale', devnet, {
    SIDECAR_BLOCK_TIME_MS: String(BLOCK_TIME_MS),
    SIDECAR_STALE_SOFT_BLOCKS: '4',
    SIDECAR_STALE_HARD_BLOCKS: '8',
  });
});

afterAll(async () => {
  await sidecar.stop();
  await devnet?.stop();
});

describe('staleness while the chain is away', () => {
  it('serves fresh answers while blocks come', async () => {
    const answer = await get<NeuronsResponse>(sidecar, path);
    expect(answer.status).toBe(200);
    expect(Number(answer.headers.get('x-cache-age-blocks'))).toBeLessThanOrEqual(1);
    expect(answer.headers.get('warning')).toBeNull();
  });

  it('warns past the soft limit, refuses past the hard one, and recovers when the chain is back', async () => {
    const before = (await get<NeuronsResponse>(sidecar, path)).body.block.number;
    await devnet?.stop();
    devnet = undefined;

    let warned: { age: number; warning: string | null; block: number } | undefined;
    await vi.waitFor(
      async () => {
        const answer = await get<NeuronsResponse>(sidecar, path);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('warning')).not.toBeNull();
        warned = {
          age: Number(answer.headers.get('x-cache-age-blocks')),
          warning: answer.headers.get('warning'),
          block: answer.body.block.number,
        };
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(warned?.age).toBeGreaterThan(4);
    expect(warned?.age).toBeLessThanOrEqual(8);
    expect(warned?.warning).toMatch(
      /^110 - "the cached metagraph is \d+ blocks behind the chain head \(soft limit 4\)"$/,
    );
    expect(warned?.block).toBeGreaterThanOrEqual(before);
    expect(
      await metricValue(sidecar, 'vstack_sidecar_stale_reads_total', { netuid: '1', level: 'soft' }),
    ).toBeGreaterThan(0);

    await vi.waitFor(
      async () => {
        const answer = await get<ApiError>(sidecar, path);
        expect(answer.status).toBe(503);
        expect(answer.body.error.code).toBe('cache_stale');
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(
      await metricValue(sidecar, 'vstack_sidecar_stale_reads_total', { netuid: '1', level: 'hard' }),
    ).toBeGreaterThan(0);
    expect(await metricValue(sidecar, 'vstack_sidecar_cache_age_blocks', { netuid: '1' })).toBeGreaterThan(8);
    expect((await get<ApiError>(sidecar, '/api/v1/block/latest')).status).toBe(503);
    expect((await get(sidecar, '/health/ready', { token: undefined })).status).toBe(503);

    devnet = await startDevnet({ port, blockTimeMs: BLOCK_TIME_MS });
    await vi.waitFor(
      async () => {
        const answer = await get<NeuronsResponse>(sidecar, path);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('warning')).toBeNull();
        expect(Number(answer.headers.get('x-cache-age-blocks'))).toBeLessThanOrEqual(1);
      },
      { timeout: 30_000, interval: 100 },
    );
    expect((await get(sidecar, '/health/ready', { token: undefined })).status).toBe(200);
  });
});
