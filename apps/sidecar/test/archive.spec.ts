import type { ApiError, NeuronsResponse } from '@vstack/sidecar-client';
import { type RunningDevnet, startDevnet } from '@vstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devnetCall, get, metricValue, type RunningSidecar, startSidecar } from './sidecar-process';

// Old blocks through the archive node: a pruned main devnet (the state of its last 5 blocks) and an archive
// devnet with the same scenario. The two share genesis and block numbers but not later hashes (each block
// carries its own timestamp), so a block read from the archive has the archive's hash.

const KEPT = 5;
const CUTOFF = 10;
const BLOCKS = 30;

let main: RunningDevnet;
let archive: RunningDevnet;
let sidecar: RunningSidecar;
let head: number;

const fallbacks = (reason: string) =>
  metricValue(sidecar, 'vstack_chain_archive_fallbacks_total', { reason });

beforeAll(async () => {
  [main, archive] = await Promise.all([startDevnet({ statePruning: KEPT }), startDevnet()]);
  [head] = await Promise.all([
    devnetCall<number>(main, 'dev_newBlocks', [BLOCKS]),
    devnetCall<number>(archive, 'dev_newBlocks', [BLOCKS]),
  ]);
  sidecar = await startSidecar('sidecar_archive', main, {
    SUBTENSOR_ARCHIVE_URL: archive.url,
    SIDECAR_ARCHIVE_CUTOFF_BLOCKS: String(CUTOFF),
  });
});

afterAll(async () => {
  await sidecar.stop();
  await Promise.all([main.stop(), archive.stop()]);
});

describe('old blocks', () => {
  it('reads a block older than the cutoff from the archive node (reason cutoff)', async () => {
    const block = head - CUTOFF - 5;
    const answer = await get<NeuronsResponse>(sidecar, `/api/v1/subnet/1/block/${block}/neurons`);
    expect(answer.status).toBe(200);
    expect(answer.body.block).toEqual({
      number: block,
      hash: await devnetCall<string>(archive, 'chain_getBlockHash', [block]),
    });
    expect(Object.keys(answer.body.neurons)).toHaveLength(8);
    expect(await fallbacks('cutoff')).toBe(1);
  });

  it('reads a block the main node has pruned from the archive node (reason unknown_block)', async () => {
    const block = head - KEPT - 2;
    const answer = await get<NeuronsResponse>(sidecar, `/api/v1/subnet/1/block/${block}/validators`);
    expect(answer.status).toBe(200);
    expect(answer.body.block).toEqual({
      number: block,
      hash: await devnetCall<string>(archive, 'chain_getBlockHash', [block]),
    });
    expect(await fallbacks('unknown_block')).toBe(1);
  });

  it('reads recent blocks from the main node, and serves archived blocks again from the cache', async () => {
    const recent = await get<NeuronsResponse>(sidecar, `/api/v1/subnet/1/block/${head - 1}/neurons`);
    expect(recent.body.block.hash).toBe(await devnetCall<string>(main, 'chain_getBlockHash', [head - 1]));
    const again = await get(sidecar, `/api/v1/subnet/1/block/${head - CUTOFF - 5}/neurons`);
    expect(again.status).toBe(200);
    expect(await fallbacks('cutoff')).toBe(1);
    expect(await fallbacks('unknown_block')).toBe(1);
  });

  it('answers block_not_found for pruned state when no archive node is configured', async () => {
    const alone = await startSidecar('sidecar_no_archive', main);
    try {
      const answer = await get<ApiError>(alone, `/api/v1/subnet/1/block/${head - KEPT - 3}/neurons`);
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('block_not_found');
    } finally {
      await alone.stop();
    }
  });
});
