import type { ApiPromise } from '@polkadot/api';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { startDevnet, type RunningDevnet } from '@vstack/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddressCache,
  ChainConnection,
  decodeNeuronsLite,
  NeuronsLiteDecoder,
  ScaleDecoder,
} from '../src/index';

// The specialised get_neurons_lite reader against the generic one, on subtensor's real metadata (served by the
// devnet): the same neurons from the devnet's own answers and from generated answers at the edges of every field.

const TAO = 1_000_000_000n;
const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;

const scenario = {
  subnets: [
    {
      netuid: 1,
      maxAllowedUids: 40,
      neurons: Array.from({ length: 40 }, (_, i) => ({
        hotkey: `//Lite${i}`,
        stake: String(BigInt(i) * 7n * TAO + BigInt(i)),
        validator: i % 5 === 0,
        ...(i % 3 === 0
          ? {}
          : { axon: { ip: i % 2 === 0 ? `2001:db8::${i.toString(16)}` : `10.1.0.${i}`, port: 9000 + i } }),
      })),
    },
  ],
};

let devnet: RunningDevnet;
let connection: ChainConnection;
let api: ApiPromise;
let outputType: number;
let generic: ScaleDecoder;
let fast: NeuronsLiteDecoder;

beforeAll(async () => {
  devnet = await startDevnet({ scenario });
  connection = new ChainConnection({ endpoints: [devnet.url] });
  api = await connection.connect();
  const latest = api.runtimeMetadata.asLatest as unknown as {
    apis: {
      name: { toString(): string };
      methods: { name: { toString(): string }; output: { toNumber(): number } }[];
    }[];
  };
  const method = latest.apis
    .find((entry) => entry.name.toString() === 'NeuronInfoRuntimeApi')
    ?.methods.find((entry) => entry.name.toString() === 'get_neurons_lite');
  if (!method) throw new Error('the devnet metadata has no get_neurons_lite');
  outputType = method.output.toNumber();
  generic = new ScaleDecoder(api.registry.lookup);
  const compiled = NeuronsLiteDecoder.compile(api.registry.lookup, outputType);
  if (!compiled) throw new Error("the specialised reader does not take subtensor's NeuronInfoLite");
  fast = compiled;
});

afterAll(async () => {
  await connection.disconnect();
  await devnet.stop();
});

function bothWays(bytes: Uint8Array): void {
  const expected = decodeNeuronsLite(generic, outputType, bytes, new AddressCache());
  // A warm cache must give the same text as a cold one.
  const addresses = new AddressCache();
  fast.decode(bytes, addresses);
  expect(fast.decode(bytes, addresses)).toStrictEqual(expected);
}

describe('NeuronsLiteDecoder', () => {
  it("reads the devnet's get_neurons_lite answers as the generic reader does", async () => {
    const netuid = u8aToHex(new Uint8Array([1, 0]));
    const answer = await connection.send<string>('state_call', [
      'NeuronInfoRuntimeApi_get_neurons_lite',
      netuid,
    ]);
    const bytes = hexToU8a(answer);
    const neurons = decodeNeuronsLite(generic, outputType, bytes, new AddressCache());
    expect(neurons).toHaveLength(40);
    expect(neurons.some((neuron) => neuron.axon.ipType === 6)).toBe(true);
    bothWays(bytes);
    const empty = await connection.send<string>('state_call', [
      'NeuronInfoRuntimeApi_get_neurons_lite',
      u8aToHex(new Uint8Array([99, 0])),
    ]);
    bothWays(hexToU8a(empty));
  });

  it('reads generated answers at the edges of every field as the generic reader does', () => {
    const type = api.registry.createLookupType(outputType);
    const u16 = fc.oneof(
      fc.constantFrom(0, 1, 63, 64, 16_383, 16_384, 65_535),
      fc.integer({ min: 0, max: 65_535 }),
    );
    const u64 = fc.oneof(
      fc.constantFrom(
        0n,
        63n,
        64n,
        (1n << 30n) - 1n,
        1n << 30n,
        (1n << 48n) - 1n,
        1n << 48n,
        1n << 53n,
        U64_MAX,
      ),
      fc.bigInt({ min: 0n, max: U64_MAX }),
    );
    const account = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => u8aToHex(bytes));
    // A few accounts repeat, as hotkeys and coldkeys do across neurons and calls.
    const sharedAccount = fc.oneof(
      account,
      fc.constantFrom(u8aToHex(new Uint8Array(32)), u8aToHex(new Uint8Array(32).fill(255))),
    );
    const axon = fc.oneof(
      // never served
      fc.constant({}),
      fc.record({
        block: u64,
        version: fc.oneof(fc.constant(0), fc.constant(0xffff_ffff), fc.integer({ min: 0, max: 0xffff_ffff })),
        ip: fc.oneof(
          fc.constantFrom(0n, 0xffff_ffffn, 1n << 32n, U128_MAX, 0x2001_0db8n << 96n),
          fc.bigInt({ min: 0n, max: 0xffff_ffffn }),
          fc.bigInt({ min: 0n, max: U128_MAX }),
        ),
        port: u16,
        ipType: fc.constantFrom(0, 4, 6, 255),
        protocol: fc.integer({ min: 0, max: 255 }),
      }),
    );
    const neuron = fc.record({
      hotkey: sharedAccount,
      coldkey: sharedAccount,
      uid: u16,
      netuid: u16,
      active: fc.boolean(),
      axonInfo: axon,
      stake: fc.array(fc.tuple(sharedAccount, u64), { maxLength: 4 }),
      rank: u16,
      emission: u64,
      incentive: u16,
      consensus: u16,
      trust: u16,
      validatorTrust: u16,
      dividends: u16,
      lastUpdate: u64,
      validatorPermit: fc.boolean(),
      pruningScore: u16,
    });
    fc.assert(
      fc.property(fc.array(neuron, { maxLength: 12 }), (neurons) => {
        const bytes = api.registry.createTypeUnsafe(type, [neurons]).toU8a();
        bothWays(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an answer with missing or trailing bytes', async () => {
    const answer = hexToU8a(
      await connection.send<string>('state_call', [
        'NeuronInfoRuntimeApi_get_neurons_lite',
        u8aToHex(new Uint8Array([1, 0])),
      ]),
    );
    expect(() => fast.decode(answer.subarray(0, answer.length - 1), new AddressCache())).toThrow(RangeError);
    const longer = new Uint8Array(answer.length + 1);
    longer.set(answer);
    expect(() => fast.decode(longer, new AddressCache())).toThrow(/ended at/);
  });
});
