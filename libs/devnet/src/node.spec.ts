import type { ApiPromise } from '@polkadot/api';
import type { Codec } from '@polkadot/types/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubtensorMaterial, type SubtensorMaterial } from './material/material';
import { connectApi, devKey, rpc, submit, type SubtensorClient, subtensorClient } from './testing/client';
import { type RunningDevnet, startDevnet } from './transport';

const TAO = 1_000_000_000n;

describe('the devnet over a real WebSocket, seen by a plain ApiPromise', () => {
  let material: SubtensorMaterial;
  let devnet: RunningDevnet;
  let api: ApiPromise;
  let client: SubtensorClient;

  beforeAll(async () => {
    material = await loadSubtensorMaterial();
    devnet = await startDevnet({ material });
    api = await connectApi(devnet.url);
    client = subtensorClient(api);
  });

  afterAll(async () => {
    await api.disconnect();
    await devnet.close();
  });

  it('serves metadata v15 with the runtime APIs and current subtensor transaction extensions', () => {
    expect(api.runtimeMetadata.version).toBe(15);
    expect(Object.keys(api.call)).toEqual(
      expect.arrayContaining([
        'neuronInfoRuntimeApi',
        'accountNonceApi',
        'metadata',
        'transactionPaymentApi',
      ]),
    );
    expect(api.registry.signedExtensions).toEqual([
      'CheckNonZeroSender',
      'CheckSpecVersion',
      'CheckTxVersion',
      'CheckGenesis',
      'CheckMortality',
      'CheckNonce',
      'CheckWeight',
      'ChargeTransactionPaymentWrapper',
      'SudoTransactionExtension',
      'CheckShieldedTxValidity',
      'SubtensorTransactionExtension',
      'DrandPriority',
      'CheckMetadataHash',
    ]);
    expect(client.tx.subtensorModule.commitTimelockedWeights).toBeDefined();
    expect(client.query.subtensorModule.timelockedWeightCommits).toBeDefined();
    expect(api.runtimeVersion.specName.toString()).toBe('node-subtensor');
    expect(api.registry.chainSS58).toBe(42);
  });

  it('holds the default scenario in storage the way subtensor stores it', async () => {
    const alice = devKey('//Alice').address;
    const dave = devKey('//Dave').address;
    const [tempo, n, rateLimit, commitReveal, permits] = await api.queryMulti<
      [Codec, Codec, Codec, Codec, Codec]
    >([
      [client.query.subtensorModule.tempo, 1],
      [client.query.subtensorModule.subnetworkN, 1],
      [client.query.subtensorModule.weightsSetRateLimit, 1],
      [client.query.subtensorModule.commitRevealWeightsEnabled, 1],
      [client.query.subtensorModule.validatorPermit, 1],
    ]);
    expect(tempo.toJSON()).toBe(60);
    expect(n.toJSON()).toBe(8);
    expect(rateLimit.toJSON()).toBe(30);
    expect(commitReveal.toJSON()).toBe(false);
    expect(permits.toJSON()).toEqual([true, true, true, false, false, false, false, false]);
    expect((await client.query.subtensorModule.keys(1, 0)).toString()).toBe(alice);
    expect((await client.query.subtensorModule.uids(1, dave)).toJSON()).toBe(3);
    expect((await client.query.subtensorModule.uids(1, devKey('//Nobody').address)).isEmpty).toBe(true);
    expect((await client.query.subtensorModule.totalHotkeyAlpha(alice, 1)).toString()).toBe(
      String(100_000n * TAO),
    );
    expect((await client.query.subtensorModule.owner(alice)).toString()).toBe(
      devKey('//Alice//cold').address,
    );
    expect((await client.query.subtensorModule.axons(1, dave)).toJSON()).toMatchObject({
      ip: 0x7f000001,
      port: 8091,
      ipType: 4,
      protocol: 4,
    });
    const entries = await client.query.subtensorModule.keys.entries(1);
    expect(entries.map(([key]) => key.args[1]?.toString()).sort()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
  });

  it('answers NeuronInfoRuntimeApi.get_neurons_lite with subtensor layout, decoded from the metadata', async () => {
    const neurons = (await client.call.neuronInfoRuntimeApi.getNeuronsLite(1)).toJSON() as Record<
      string,
      unknown
    >[];
    expect(neurons).toHaveLength(8);
    expect(neurons[0]).toMatchObject({
      hotkey: devKey('//Alice').address,
      coldkey: devKey('//Alice//cold').address,
      uid: 0,
      netuid: 1,
      validatorPermit: true,
      stake: [[devKey('//Alice//cold').address, Number(100_000n * TAO)]],
    });
    expect(neurons[3]).toMatchObject({
      hotkey: devKey('//Dave').address,
      axonInfo: { port: 8091, ip: 0x7f000001 },
    });
    expect((await client.call.neuronInfoRuntimeApi.getNeuronLite(1, 99)).isEmpty).toBe(true);
    expect((await client.call.neuronInfoRuntimeApi.getNeuronsLite(99)).toJSON()).toEqual([]);
    const nonce = await client.call.accountNonceApi.accountNonce(devKey('//Alice').address);
    expect(nonce.toJSON()).toBe(0);
  });

  it('takes a signed set_weights, emits subtensor events and stores the weights for the next block', async () => {
    const bob = devKey('//Bob');
    const outcome = await submit(
      api,
      client.tx.subtensorModule.setWeights(1, [3, 4, 5], [100, 50, 0], 0),
      bob,
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.events).toEqual(['subtensorModule.WeightsSet', 'system.ExtrinsicSuccess']);
    expect((await client.query.subtensorModule.weights(1, 1)).toJSON()).toEqual([
      [3, 65535],
      [4, 32768],
      [5, 0],
    ]);
    const header = await api.rpc.chain.getHeader(outcome.blockHash);
    const lastUpdate = (await client.query.subtensorModule.lastUpdate(1)).toJSON() as number[];
    expect(lastUpdate[1]).toBe(header.number.toNumber());
    const block = await api.rpc.chain.getBlock(outcome.blockHash);
    const [inherent, extrinsic] = block.block.extrinsics;
    expect(`${inherent?.method.section}.${inherent?.method.method}`).toBe('timestamp.set');
    expect(extrinsic?.signer.toString()).toBe(bob.address);
    expect(`${extrinsic?.method.section}.${extrinsic?.method.method}`).toBe('subtensorModule.setWeights');
  });

  it('answers a fee query (the devnet charges nothing)', async () => {
    const info = await client.tx.subtensorModule.setWeights(1, [3], [1], 0).paymentInfo(devKey('//Bob'));
    expect(info.partialFee.toNumber()).toBe(0);
  });

  it('decodes the chain’s own module error for a rule that is broken', async () => {
    const bob = devKey('//Bob');
    const outcome = await submit(api, client.tx.subtensorModule.setWeights(1, [3], [1], 0), bob);
    expect(outcome.error).toBe('subtensorModule.SettingWeightsTooFast');
    expect(outcome.events).toEqual(['system.ExtrinsicFailed']);
  });

  it('pushes new heads, finalized heads and storage changes to subscribers, current value first', async () => {
    const heads: number[] = [];
    const finalized: number[] = [];
    const weights: unknown[] = [];
    const unsubscribeHeads = await api.rpc.chain.subscribeNewHeads((header) => {
      heads.push(header.number.toNumber());
    });
    const unsubscribeFinalized = await api.rpc.chain.subscribeFinalizedHeads((header) => {
      finalized.push(header.number.toNumber());
    });
    const unsubscribeWeights = (await client.query.subtensorModule.weights(1, 2, (value: Codec) => {
      weights.push(value.toJSON());
    })) as unknown as () => void;
    await expect.poll(() => heads.length).toBe(1);
    const head = heads[0] ?? 0;
    await rpc(api, 'dev_newBlocks', [2]);
    await submit(api, client.tx.subtensorModule.setWeights(1, [3], [7], 0), devKey('//Charlie'));
    await expect.poll(() => heads.at(-1)).toBe(head + 3);
    await expect.poll(() => finalized.at(-1)).toBe(head + 3);
    await expect.poll(() => weights.at(-1)).toEqual([[3, 65535]]);
    expect(weights[0]).toEqual([]);
    unsubscribeHeads();
    unsubscribeFinalized();
    unsubscribeWeights();
  });

  it('refuses a tampered signature and a stale nonce with the pool’s 1010 error', async () => {
    const charlie = devKey('//Charlie');
    const tampered = client.tx.subtensorModule.setWeights(1, [4], [1], 0);
    await tampered.signAsync(charlie);
    const bytes = tampered.toU8a();
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
    await expect(api.rpc.author.submitExtrinsic(bytes)).rejects.toThrow(
      '1010: Invalid Transaction: Transaction has a bad signature',
    );
    const stale = client.tx.system.remark('0x00');
    await stale.signAsync(charlie, { nonce: 0 });
    await expect(api.rpc.author.submitExtrinsic(stale)).rejects.toThrow(
      '1010: Invalid Transaction: Transaction is outdated',
    );
  });

  it('answers JSON-RPC over HTTP POST on the same port, with proper errors', async () => {
    const response = await fetch(`http://127.0.0.1:${devnet.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'chain_getBlockHash', params: [0] },
        { jsonrpc: '2.0', id: 2, method: 'no_suchMethod', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'state_getStorage', params: ['not hex'] },
        { jsonrpc: '2.0', id: 4, method: 'chain_subscribeNewHeads', params: [] },
      ]),
    });
    const body = (await response.json()) as { id: number; result?: unknown; error?: { code: number } }[];
    expect(body.find((entry) => entry.id === 1)?.result).toBe(api.genesisHash.toHex());
    expect(body.find((entry) => entry.id === 2)?.error?.code).toBe(-32601);
    expect(body.find((entry) => entry.id === 3)?.error?.code).toBe(-32602);
    expect(body.find((entry) => entry.id === 4)?.error?.code).toBe(-32601);
  });

  it('reports the head, and seals blocks on dev_newBlocks', async () => {
    const before = await rpc<{ number: number; hash: string }>(api, 'dev_head');
    expect(await rpc(api, 'dev_newBlocks', [3])).toBe(before.number + 3);
    const after = await rpc<{ number: number; hash: string }>(api, 'dev_head');
    expect(after.number).toBe(before.number + 3);
    expect((await api.rpc.chain.getHeader()).hash.toHex()).toBe(after.hash);
    await expect(rpc(api, 'dev_newBlocks', [0])).rejects.toThrow('-32602');
  });

  it('comes back after a restart on the same port, with the same genesis, and the client reconnects', async () => {
    const genesis = api.genesisHash.toHex();
    const port = devnet.port;
    await devnet.close();
    devnet = await startDevnet({ material, port });
    await expect.poll(() => api.isConnected, { timeout: 10_000 }).toBe(true);
    await expect
      .poll(async () => (await api.rpc.chain.getBlockHash(0)).toHex(), { timeout: 10_000 })
      .toBe(genesis);
    expect((await api.rpc.chain.getHeader()).number.toNumber()).toBe(0);
    const outcome = await submit(
      api,
      client.tx.subtensorModule.setWeights(1, [3], [1], 0),
      devKey('//Alice'),
    );
    expect(outcome.events).toContain('subtensorModule.WeightsSet');
  });
});
