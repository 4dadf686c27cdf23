import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a, encodeAddress } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubtensorMaterial } from './material/material';
import { connectApi, devKey, rpc, submit, type SubtensorClient, subtensorClient } from './testing/client';
import { type RunningDevnet, startDevnet } from './transport';

const TAO = 1_000_000_000n;
const netuid = 7;
/** An account id that is nobody's key, for neurons that never sign. */
const address = (label: string) => encodeAddress(blake2AsU8a(label, 256), 42);
const validators = ['//Alice', '//Bob', '//Charlie', '//Dave'];

function ms(started: number): string {
  return `${(performance.now() - started).toFixed(1)} ms`;
}

describe('a 256-neuron subnet', () => {
  let devnet: RunningDevnet;
  let api: ApiPromise;
  let client: SubtensorClient;
  const netuidArg = u8aToHex(new Uint8Array([netuid, 0]));

  beforeAll(async () => {
    devnet = await startDevnet({ material: await loadSubtensorMaterial() });
    api = await connectApi(devnet.url);
    client = subtensorClient(api);
    const neurons = Array.from({ length: 256 }, (_, uid) => {
      const validator = validators[uid];
      return validator
        ? {
            hotkey: validator,
            coldkey: address(`cold-${uid}`),
            stake: String(BigInt(1000 - uid) * TAO),
            validator: true,
          }
        : {
            hotkey: address(`hot-${uid}`),
            coldkey: address(`cold-${uid}`),
            stake: String(BigInt(uid) * 1000n),
            axon: { ip: `10.0.${uid >> 8}.${uid & 0xff}`, port: 10_000 + uid },
          };
    });
    const started = performance.now();
    await rpc(api, 'dev_applyScenario', [
      { subnets: [{ netuid, tempo: 20, maxAllowedUids: 256, maxAllowedValidators: 8, neurons }] },
    ]);
    console.log(`dev_applyScenario with 256 neurons: ${ms(started)}`);
  });

  afterAll(async () => {
    await api.disconnect();
    await devnet.close();
  });

  it('serves get_neurons_lite for 256 neurons fast, encoding once per block', async () => {
    let started = performance.now();
    const first = await api.rpc.state.call('NeuronInfoRuntimeApi_get_neurons_lite', netuidArg);
    const firstMs = ms(started);
    started = performance.now();
    const cached = await api.rpc.state.call('NeuronInfoRuntimeApi_get_neurons_lite', netuidArg);
    const cachedElapsed = performance.now() - started;
    started = performance.now();
    const decoded = await client.call.neuronInfoRuntimeApi.getNeuronsLite(netuid);
    const decodedMs = ms(started);
    console.log(
      `get_neurons_lite(256): raw state_call ${firstMs} (first in the block), ${cachedElapsed.toFixed(1)} ms (cached); ` +
        `through api.call with decoding ${decodedMs}; ${first.length} bytes`,
    );
    expect(cached.toHex()).toBe(first.toHex());
    expect(cachedElapsed).toBeLessThan(100);
    const neurons = decoded.toJSON() as {
      uid: number;
      hotkey: string;
      axonInfo: { port: number };
      validatorPermit: boolean;
    }[];
    expect(neurons).toHaveLength(256);
    expect(neurons.map((neuron) => neuron.uid)).toEqual([...Array(256).keys()]);
    expect(neurons[0]?.hotkey).toBe(devKey('//Alice').address);
    expect(neurons[255]).toMatchObject({
      hotkey: address('hot-255'),
      axonInfo: { port: 10_255 },
      validatorPermit: false,
    });
  });

  it('encodes NeuronInfoLite and NeuronInfo exactly as the metadata’s types decode and re-encode them', async () => {
    for (const [method, api_, type] of [
      ['NeuronInfoRuntimeApi_get_neurons_lite', 'get_neurons_lite', 'Vec<NeuronInfoLite>'],
      ['NeuronInfoRuntimeApi_get_neurons', 'get_neurons', 'Vec<NeuronInfo>'],
    ] as const) {
      const raw = (await api.rpc.state.call(method, netuidArg)).toU8a(true);
      const outputType = api.registry.createLookupType(
        api.runtimeMetadata.asV15.apis
          .find((entry) => entry.name.toString() === 'NeuronInfoRuntimeApi')!
          .methods.find((entry) => entry.name.toString() === api_)!.output,
      );
      const codec = api.registry.createType(outputType, raw);
      expect(codec.encodedLength, type).toBe(raw.length);
      expect(u8aToHex(codec.toU8a()), type).toBe(u8aToHex(raw));
    }
  });

  it('takes set_weights over all 256 uids and turns them into a metagraph at the next epoch', async () => {
    const uids = [...Array(256).keys()].filter((uid) => uid >= validators.length);
    const values = uids.map((uid) => uid);
    const outcome = await submit(
      api,
      client.tx.subtensorModule.setWeights(netuid, uids, values, 0),
      devKey('//Alice'),
    );
    expect(outcome.error).toBeUndefined();
    await rpc(api, 'dev_newBlocks', [21]);
    const neurons = (await client.call.neuronInfoRuntimeApi.getNeuronsLite(netuid)).toJSON() as {
      incentive: number;
      dividends: number;
    }[];
    expect(neurons[255]?.incentive).toBeGreaterThan(neurons[5]?.incentive ?? Infinity);
    expect(neurons[0]?.dividends).toBe(65535);
  });
});
