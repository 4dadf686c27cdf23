import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDevnetError, DevnetErrorCode } from './errors';
import { loadSubtensorMaterial, type SubtensorMaterial } from './material/material';
import { DevnetNode } from './node';

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

describe('state pruning (a non-archive node)', () => {
  let material: SubtensorMaterial;
  let node: DevnetNode;
  let archive: DevnetNode;
  let id = 0;

  const call = async (target: DevnetNode, method: string, params: unknown[] = []): Promise<RpcAnswer> =>
    (await target.handleHttp({ jsonrpc: '2.0', id: ++id, method, params })) as RpcAnswer;

  beforeAll(async () => {
    material = await loadSubtensorMaterial();
    node = await DevnetNode.create({ material, statePruning: 5 });
    archive = await DevnetNode.create({ material });
    node.newBlocks(10);
    archive.newBlocks(10);
  });

  afterAll(() => {
    node.close();
    archive.close();
  });

  it('keeps the state of the last N blocks, head included', async () => {
    for (const number of [6, 8, 10]) {
      const hash = (await call(node, 'chain_getBlockHash', [number])).result;
      const answer = await call(node, 'state_getRuntimeVersion', [hash]);
      expect(answer.error).toBeUndefined();
    }
  });

  it('answers older state reads with the error a pruned Substrate node gives', async () => {
    const hash = (await call(node, 'chain_getBlockHash', [5])).result as string;
    const key = '0x26aa394eea5630e07c48ae0c9558cef702a5c1b19ab7a04f536c519aca4983ac'; // System.Number
    for (const [method, params] of [
      ['state_getStorage', [key, hash]],
      ['state_getRuntimeVersion', [hash]],
      ['state_getMetadata', [hash]],
      ['state_call', ['NeuronInfoRuntimeApi_get_neurons_lite', '0x0100', hash]],
      ['state_queryStorageAt', [[key], hash]],
      ['state_getKeysPaged', [key, 10, null, hash]],
    ] as const) {
      const answer = await call(node, method, [...params]);
      expect(answer.error, method).toEqual({
        code: 4003,
        message: `Client error: UnknownBlock: State already discarded for ${hash}`,
      });
    }
  });

  it('keeps headers, blocks and hashes of pruned blocks', async () => {
    const hash = (await call(node, 'chain_getBlockHash', [1])).result as string;
    const header = (await call(node, 'chain_getHeader', [hash])).result as { number: string };
    expect(Number.parseInt(header.number, 16)).toBe(1);
    expect((await call(node, 'chain_getBlock', [hash])).error).toBeUndefined();
  });

  it('moves the window with the head', async () => {
    const hash = (await call(node, 'chain_getBlockHash', [6])).result as string;
    expect((await call(node, 'state_getRuntimeVersion', [hash])).error).toBeUndefined();
    node.newBlocks(1);
    expect((await call(node, 'state_getRuntimeVersion', [hash])).error?.message).toContain(
      'State already discarded',
    );
  });

  it('keeps every block by default (an archive node)', async () => {
    const hash = (await call(archive, 'chain_getBlockHash', [0])).result as string;
    expect((await call(archive, 'state_getRuntimeVersion', [hash])).error).toBeUndefined();
    expect(archive.statePruning).toBeUndefined();
  });

  it('refuses a window below one block', async () => {
    const failed = await DevnetNode.create({ material, statePruning: 0 }).catch((error: unknown) => error);
    expect(isDevnetError(failed, DevnetErrorCode.InvalidOptions)).toBe(true);
  });
});
