import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { bnToU8a, compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ChainConnection,
  ChainErrorCode,
  FileCommitStore,
  SubtensorClient,
  epochAt,
  isChainError,
  isModuleError,
  loadHotkey,
  metagraphFromStorage,
  type Neuron,
} from '../src/index';
import { startDevnet, type RunningDevnet } from '@vstack/testing';

// Integration tests against the real devnet (apps/devnet) over a real WebSocket.

const TAO = 1_000_000_000n;
const tao = (amount: number): string => String(BigInt(amount) * TAO);

const scenario = {
  subnets: [
    {
      netuid: 1,
      tempo: 20,
      weightsRateLimit: 100,
      neurons: [
        { hotkey: '//Alice', stake: tao(100_000), validator: true },
        { hotkey: '//Bob', stake: tao(50_000), validator: true },
        { hotkey: '//Charlie', stake: tao(25_000), validator: true },
        { hotkey: '//Dave', axon: { ip: '127.0.0.1', port: 8091 } },
        { hotkey: '//Eve', axon: { ip: '127.0.0.1', port: 8191 } },
        { hotkey: '//Ferdie', axon: { ip: '127.0.0.1', port: 8192 } },
      ],
    },
    {
      netuid: 2,
      tempo: 10,
      weightsRateLimit: 0,
      commitRevealEnabled: true,
      revealPeriodEpochs: 1,
      neurons: [
        { hotkey: '//Alice', stake: tao(100_000), validator: true },
        { hotkey: '//Dave', axon: { ip: '127.0.0.1', port: 8091 } },
        { hotkey: '//Eve', axon: { ip: '127.0.0.1', port: 8191 } },
      ],
    },
    {
      netuid: 3,
      weightsVersionKey: 5,
      weightsRateLimit: 0,
      minAllowedWeights: 2,
      neurons: [
        { hotkey: '//Alice', stake: tao(100_000), validator: true },
        { hotkey: '//Dave', axon: { ip: '127.0.0.1', port: 8091 } },
        { hotkey: '//Eve', axon: { ip: '127.0.0.1', port: 8191 } },
      ],
    },
  ],
};

let devnet: RunningDevnet;
let connection: ChainConnection;
let client: SubtensorClient;
let folder: string;
const keys: Record<string, KeyringPair> = {};

function address(uri: string): string {
  const pair = keys[uri];
  if (!pair) throw new Error(`no test key ${uri}`);
  return pair.address;
}

function byHotkey(neurons: Neuron[], uri: string): Neuron {
  const neuron = neurons.find((candidate) => candidate.hotkey === address(uri));
  if (!neuron) throw new Error(`${uri} is not in the metagraph`);
  return neuron;
}

async function newBlocks(count: number): Promise<number> {
  return connection.send<number>('dev_newBlocks', [count]);
}

async function expectModuleError(run: Promise<unknown>, name: string): Promise<void> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isModuleError(error, name), `expected ${name}, got ${String(error)}`).toBe(true);
}

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  for (const uri of [
    '//Alice',
    '//Bob',
    '//Charlie',
    '//Dave',
    '//Eve',
    '//Ferdie',
    '//Alice//cold',
    '//Newcomer',
  ]) {
    keys[uri] = keyring.addFromUri(uri);
  }
  folder = await mkdtemp(join(tmpdir(), 'vstack-chain-it-'));
  devnet = await startDevnet({ scenario });
  connection = new ChainConnection({ endpoints: [devnet.url] });
  await connection.connect();
  client = new SubtensorClient({
    connection,
    commitStore: new FileCommitStore(join(folder, 'commits.json')),
    extrinsicTimeoutMs: 20_000,
  });
});

afterAll(async () => {
  await connection.disconnect();
  await devnet.stop();
  await rm(folder, { recursive: true, force: true });
});

describe('connection', () => {
  it('talks to the devnet with subtensor metadata v15 and its runtime APIs', () => {
    const api = connection.api;
    expect(connection.state).toBe('ready');
    expect(connection.endpoint).toBe(devnet.url);
    expect(api.runtimeMetadata.version).toBe(15);
    expect(api.runtimeVersion.specVersion.toNumber()).toBe(224);
    expect(api.registry.signedExtensions).toContain('ChargeTransactionPaymentWrapper');
  });
});

describe('metagraph', () => {
  it('reads every neuron through the runtime API at the best block', async () => {
    const head = await client.head();
    const metagraph = await client.metagraph(1);
    expect(metagraph.source).toBe('runtime-api');
    expect(metagraph.netuid).toBe(1);
    expect(metagraph.block).toBeGreaterThanOrEqual(head.number);
    expect(metagraph.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(metagraph.neurons.map((neuron) => neuron.uid)).toEqual([0, 1, 2, 3, 4, 5]);

    const alice = byHotkey(metagraph.neurons, '//Alice');
    expect(alice.coldkey).toBe(address('//Alice//cold'));
    expect(alice.stake).toBe(100_000n * TAO);
    expect(alice.validatorPermit).toBe(true);
    expect(alice.active).toBe(true);

    const dave = byHotkey(metagraph.neurons, '//Dave');
    expect(dave.axon).toMatchObject({ ip: '127.0.0.1', port: 8091, ipType: 4, protocol: 4 });
    expect(dave.validatorPermit).toBe(false);
    for (const neuron of metagraph.neurons) {
      for (const score of [neuron.incentive, neuron.dividends, neuron.consensus, neuron.validatorTrust]) {
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
    }
  });

  it('reads the same neurons from storage as through the runtime API', async () => {
    const viaRuntime = await client.metagraph(1);
    const block = await connection.atBlock(viaRuntime.blockHash);
    const viaStorage = await metagraphFromStorage(block.api, 1);
    expect(viaStorage).toEqual(viaRuntime.neurons);
  });

  it('reads a given block of the current runtime through the same fast state_call path', async () => {
    const latest = await client.metagraph(1);
    const decorate = vi.spyOn(connection.api, 'at');
    const send = vi.spyOn(connection, 'send');
    try {
      const byHash = await client.metagraph(1, latest.blockHash);
      expect(byHash).toEqual(latest);
      expect(byHash.source).toBe('runtime-api');
      const versionChecks = (): number =>
        send.mock.calls.filter(([method]) => method === 'state_getRuntimeVersion').length;
      expect(versionChecks()).toBeLessThanOrEqual(1);
      // The spec version of a block is kept: a repeated block costs no check.
      const checks = versionChecks();
      expect(await client.metagraph(1, latest.block)).toEqual(latest);
      expect(versionChecks()).toBe(checks);
      expect(decorate).not.toHaveBeenCalled();
    } finally {
      decorate.mockRestore();
      send.mockRestore();
    }
  });
});

describe('hyperparameters and epochs', () => {
  it('reads the subnet hyperparameters by their storage names', async () => {
    const hp = await client.hyperparameters(2);
    expect(hp).toMatchObject({
      netuid: 2,
      tempo: 10,
      weightsRateLimit: 0,
      commitRevealEnabled: true,
      revealPeriodEpochs: 1,
      weightsVersionKey: 0n,
      subnetworkN: 3,
    });
    expect((await client.hyperparameters(3)).weightsVersionKey).toBe(5n);
    const missing = await client.hyperparameters(42).catch((error: unknown) => error);
    expect(isChainError(missing, ChainErrorCode.SubnetNotFound)).toBe(true);
  });

  it('computes the epoch the way the chain runs it: weights turn into incentive in the epoch block', async () => {
    const alice = keys['//Alice'];
    if (!alice) throw new Error('no key');
    await client.setWeights(alice, 1, { [address('//Dave')]: 1, [address('//Eve')]: 1 });
    const epoch = await client.epoch(1);
    const hp = await client.hyperparameters(1);
    expect(epoch).toEqual(epochAt(1, hp.tempo, hp.block));
    const until = epoch.blocksUntilNextEpoch ?? 0;
    expect(until).toBeGreaterThan(1);
    // One block before the epoch block nothing has been paid for these weights yet ...
    await newBlocks(until - 1);
    const before = await client.metagraph(1);
    expect(before.block).toBe((epoch.epochBlock ?? 0) - 1);
    expect(byHotkey(before.neurons, '//Dave').incentive).toBe(0);
    // ... the epoch runs in the block where blocks_until_next_epoch is 0 (subtensor's should_run_epoch) ...
    await newBlocks(1);
    const at = await client.metagraph(1);
    expect(at.block).toBe(epoch.epochBlock);
    expect((await client.epoch(1)).blocksUntilNextEpoch).toBe(0);
    // ... and the next block starts the next epoch index.
    await newBlocks(1);
    expect((await client.epoch(1)).index).toBe(epoch.index + 1);
    // Dave (weighted) earns incentive, Ferdie (not weighted) none.
    expect(byHotkey(at.neurons, '//Dave').incentive).toBeGreaterThan(0);
    expect(byHotkey(at.neurons, '//Ferdie').incentive).toBe(0);
  });
});

describe('weights', () => {
  it('sets weights by hotkey and reads them back in the next block', async () => {
    const bob = keys['//Bob'];
    if (!bob) throw new Error('no key');
    const outcome = await client.setWeights(bob, 1, {
      [address('//Dave')]: 0.5,
      [address('//Eve')]: 1,
      [address('//Ferdie')]: 0,
    });
    expect(outcome.kind).toBe('set');
    expect(outcome.weights).toEqual({ uids: [3, 4], weights: [32768, 65535] });
    expect(outcome.result.events.map((event) => `${event.section}.${event.method}`)).toContain(
      'subtensorModule.WeightsSet',
    );
    expect(outcome.result.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
    const bobUid = byHotkey((await client.metagraph(1)).neurons, '//Bob').uid;
    expect(await client.weightsOf(1, bobUid)).toEqual(outcome.weights);
    expect(await client.weightsOf(1, bobUid, outcome.result.blockNumber - 1)).toEqual({
      uids: [],
      weights: [],
    });
  });

  it('decodes the rate limit as a typed module error', async () => {
    const charlie = keys['//Charlie'];
    if (!charlie) throw new Error('no key');
    await client.setWeights(charlie, 1, { '3': 1 });
    const error = await client.setWeights(charlie, 1, { '4': 1 }).catch((caught: unknown) => caught);
    expect(isChainError(error, ChainErrorCode.ModuleError)).toBe(true);
    expect(isModuleError(error, 'SettingWeightsTooFast')).toBe(true);
    if (!isChainError(error)) throw new Error('unreachable');
    expect(error.moduleError).toMatchObject({ section: 'subtensorModule', name: 'SettingWeightsTooFast' });
    expect(error.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('sends the subnet weights version key by default and reports a stale one as the chain does', async () => {
    const alice = keys['//Alice'];
    if (!alice) throw new Error('no key');
    await expectModuleError(
      client.setWeights(alice, 3, { '1': 1, '2': 1 }, { versionKey: 1n }),
      'IncorrectWeightVersionKey',
    );
    const outcome = await client.setWeights(alice, 3, { '1': 1, '2': 1 });
    expect(outcome.versionKey).toBe(5n);
    // MinAllowedWeights is 2 on netuid 3: one weight is refused before anything is sent.
    const tooFew = await client.setWeights(alice, 3, { '1': 1 }).catch((caught: unknown) => caught);
    expect(isChainError(tooFew, ChainErrorCode.InvalidWeights)).toBe(true);
  });

  it('commits on a commit-reveal subnet and reveals in the reveal epoch, also after a restart', async () => {
    const alice = keys['//Alice'];
    if (!alice) throw new Error('no key');
    expect(await client.weightsMode(2)).toBe('commit-reveal');
    await expectModuleError(
      client.setWeights(alice, 2, { '1': 1 }, { mode: 'direct' }),
      'CommitRevealEnabled',
    );

    const outcome = await client.setWeights(alice, 2, { [address('//Dave')]: 1, [address('//Eve')]: 3 });
    if (outcome.kind !== 'committed') throw new Error(`expected a commit, got ${outcome.kind}`);
    expect(outcome.result.events.map((event) => event.method)).toContain('WeightsCommitted');
    expect(outcome.commit.commitBlock).toBe(outcome.result.blockNumber);
    expect(await client.pendingCommits(alice.address, 2)).toHaveLength(1);

    const early = await client.revealWeights(alice, 2);
    expect(early.revealed).toEqual([]);
    expect(early.waiting.map((commit) => commit.hash)).toEqual([outcome.commit.hash]);

    // A new client on the same commit file stands for a restarted validator.
    const head = (await client.head()).number;
    if (outcome.commit.firstRevealBlock - 1 > head)
      await newBlocks(outcome.commit.firstRevealBlock - 1 - head);
    const restarted = new SubtensorClient({
      connection,
      commitStore: new FileCommitStore(join(folder, 'commits.json')),
      extrinsicTimeoutMs: 20_000,
    });
    const reveal = await restarted.revealWeights(alice, 2);
    expect(reveal.failed).toEqual([]);
    expect(reveal.revealed).toHaveLength(1);
    expect(reveal.revealed[0]?.result.blockNumber).toBe(outcome.commit.firstRevealBlock);
    expect(await restarted.pendingCommits(alice.address, 2)).toEqual([]);
    const aliceUid = byHotkey((await client.metagraph(2)).neurons, '//Alice').uid;
    expect(await client.weightsOf(2, aliceUid)).toEqual(outcome.weights);
  });

  it('drops a commit whose reveal window has passed', async () => {
    const alice = keys['//Alice'];
    if (!alice) throw new Error('no key');
    const outcome = await client.setWeights(alice, 2, { '1': 1, '2': 1 });
    if (outcome.kind !== 'committed') throw new Error('expected a commit');
    const head = (await client.head()).number;
    await newBlocks(outcome.commit.lastRevealBlock - head + 1);
    const late = await client.revealWeights(alice, 2);
    expect(late.expired.map((commit) => commit.hash)).toEqual([outcome.commit.hash]);
    expect(await client.pendingCommits(alice.address, 2)).toEqual([]);
  });
});

describe('axons, registration and stake', () => {
  it('serves an axon (IPv4 and IPv6) and reads it back, and the previous block still shows the old one', async () => {
    const bob = keys['//Bob'];
    const charlie = keys['//Charlie'];
    if (!bob || !charlie) throw new Error('no key');
    const result = await client.serveAxon(bob, 1, { ip: '10.20.30.40', port: 9999, version: 7 });
    expect(result.events.map((event) => event.method)).toContain('AxonServed');
    await client.serveAxon(charlie, 1, { ip: '2001:db8::7', port: 443 });
    const metagraph = await client.metagraph(1);
    expect(byHotkey(metagraph.neurons, '//Bob').axon).toMatchObject({
      ip: '10.20.30.40',
      port: 9999,
      ipType: 4,
      protocol: 4,
      version: 7,
      block: result.blockNumber,
    });
    expect(byHotkey(metagraph.neurons, '//Charlie').axon).toMatchObject({
      ip: '2001:db8::7',
      port: 443,
      ipType: 6,
    });
    const before = await client.metagraph(1, result.blockNumber - 1);
    expect(before.block).toBe(result.blockNumber - 1);
    expect(byHotkey(before.neurons, '//Bob').axon.ip).toBe('0.0.0.0');
    const bad = await client
      .serveAxon(bob, 1, { ip: 'not-an-ip', port: 1 })
      .catch((caught: unknown) => caught);
    expect(isChainError(bad, ChainErrorCode.InvalidOptions)).toBe(true);
  });

  it('registers a hotkey by burning and stakes to it', async () => {
    const coldkey = keys['//Alice//cold'];
    if (!coldkey) throw new Error('no key');
    const registered = await client.burnedRegister(coldkey, 1, address('//Newcomer'));
    expect(registered.uid).toBe(6);
    const staked = await client.addStake(coldkey, address('//Newcomer'), 1, 5n * TAO);
    expect(staked.blockNumber).toBeGreaterThan(registered.blockNumber);
    const newcomer = byHotkey((await client.metagraph(1)).neurons, '//Newcomer');
    expect(newcomer).toMatchObject({ uid: 6, coldkey: coldkey.address, stake: 5n * TAO });
    expect(newcomer.blockAtRegistration).toBe(registered.blockNumber);
    await expectModuleError(
      client.burnedRegister(coldkey, 1, address('//Newcomer')),
      'HotKeyAlreadyRegisteredInSubNet',
    );
  });
});

describe('extrinsic encoding', () => {
  it('encodes set_weights exactly as built by hand from the metadata (call index and argument layout)', () => {
    const api = connection.api;
    const metadata = api.runtimeMetadata.asLatest;
    const pallet = metadata.pallets.find((entry) => entry.name.toString() === 'SubtensorModule');
    if (!pallet?.calls.isSome) throw new Error('SubtensorModule has no calls');
    const calls = api.registry.lookup.getSiType(pallet.calls.unwrap().type).def.asVariant.variants;
    const setWeights = calls.find((variant) => variant.name.toString() === 'set_weights');
    if (!setWeights) throw new Error('no set_weights');
    expect(setWeights.fields.map((field) => field.name.toString())).toEqual([
      'netuid',
      'dests',
      'weights',
      'version_key',
    ]);
    expect(setWeights.fields.map((field) => api.registry.lookup.getTypeDef(field.type).type)).toEqual([
      'u16',
      'Vec<u16>',
      'Vec<u16>',
      'u64',
    ]);
    const u16 = (value: number): Uint8Array => bnToU8a(value, { bitLength: 16, isLe: true });
    const u16Vec = (values: number[]): Uint8Array =>
      u8aConcat(compactToU8a(values.length), ...values.map(u16));
    const uids = [0, 3, 4, 300];
    const weights = [65535, 1, 32768, 70];
    const expected = u8aConcat(
      new Uint8Array([pallet.index.toNumber(), setWeights.index.toNumber()]),
      u16(7),
      u16Vec(uids),
      u16Vec(weights),
      bnToU8a(123456789012n, { bitLength: 64, isLe: true }),
    );
    const call = api.tx.subtensorModule?.setWeights?.(7, uids, weights, 123456789012n);
    if (!call) throw new Error('no setWeights call');
    expect(u8aToHex(call.method.toU8a())).toBe(u8aToHex(expected));
  });
});

describe('keys against the chain', () => {
  it('signs with a hotkey loaded from a seed', async () => {
    const alice = await loadHotkey({
      kind: 'seed',
      seed: '0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a',
    });
    const result = await client.serveAxon(alice, 3, { ip: '192.168.0.9', port: 7000 });
    expect(result.events.map((event) => event.method)).toContain('AxonServed');
  });
});
