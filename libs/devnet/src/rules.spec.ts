import type { ApiPromise } from '@polkadot/api';
import { TypeRegistry } from '@polkadot/types';
import { blake2AsHex } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubtensorMaterial, type SubtensorMaterial } from './material/material';
import { blocksUntilNextEpoch, epochIndex } from './pallets/weights';
import { connectApi, devKey, rpc, submit, type SubtensorClient, subtensorClient } from './testing/client';
import { type RunningDevnet, startDevnet } from './transport';

const TAO = 1_000_000_000n;
const tao = (amount: number) => String(BigInt(amount) * TAO);

/** Validators //Alice and //Bob (uids 0, 1), miners //M1..//M4 (uids 2..5). */
function subnet(netuid: number, hyperparameters: Record<string, unknown> = {}) {
  return {
    netuid,
    weightsRateLimit: 0,
    ...hyperparameters,
    neurons: [
      { hotkey: '//Alice', stake: tao(3000), validator: true },
      { hotkey: '//Bob', stake: tao(1000), validator: true },
      ...['//M1', '//M2', '//M3', '//M4'].map((hotkey) => ({ hotkey })),
    ],
  };
}

describe('subtensor rules on the devnet, each failing with the chain’s own error', () => {
  let material: SubtensorMaterial;
  let devnet: RunningDevnet;
  let api: ApiPromise;
  let client: SubtensorClient;
  const alice = devKey('//Alice');

  const head = async () => (await rpc<{ number: number }>(api, 'dev_head')).number;
  /** Seals blocks until the next extrinsic lands in block `target`. */
  const landIn = async (target: number) => {
    const missing = target - (await head()) - 1;
    if (missing > 0) await rpc(api, 'dev_newBlocks', [missing]);
  };

  beforeAll(async () => {
    material = await loadSubtensorMaterial();
    devnet = await startDevnet({ material });
    api = await connectApi(devnet.url);
    client = subtensorClient(api);
    await rpc(api, 'dev_applyScenario', [
      {
        subnets: [
          subnet(2, {
            weightsVersionKey: 5,
            minAllowedWeights: 3,
            maxWeightsLimit: 40_000,
            maxAllowedUids: 7,
          }),
          subnet(3, { weightsRateLimit: 10 }),
          subnet(4, { commitRevealEnabled: true, tempo: 10, revealPeriodEpochs: 1 }),
          subnet(5, { tempo: 10 }),
        ],
      },
    ]);
  });

  afterAll(async () => {
    await api.disconnect();
    await devnet.close();
  });

  describe('set_weights', () => {
    const cases: [string, string, number, number[], number[], number][] = [
      ['WeightVecNotEqualSize', '//Alice', 2, [2, 3], [1], 5],
      ['UidsLengthExceedUidsInSubNet', '//Alice', 2, [0, 1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1, 1], 5],
      ['HotKeyNotRegisteredInSubNet', '//Nobody', 2, [2, 3, 4], [1, 1, 1], 5],
      ['IncorrectWeightVersionKey', '//Alice', 2, [2, 3, 4], [1, 1, 1], 4],
      ['NeuronNoValidatorPermit', '//M1', 2, [3, 4, 5], [1, 1, 1], 5],
      ['DuplicateUids', '//Alice', 2, [2, 2, 3], [1, 1, 1], 5],
      ['UidVecContainInvalidOne', '//Alice', 2, [2, 3, 9], [1, 1, 1], 5],
      ['WeightVecLengthIsLow', '//Alice', 2, [2, 3], [1, 1], 5],
      ['MaxWeightExceeded', '//Alice', 2, [2, 3, 4], [100, 1, 1], 5],
      ['SubNetworkDoesNotExist', '//Alice', 77, [2], [1], 0],
      ['CanNotSetRootNetworkWeights', '//Alice', 0, [2], [1], 0],
      ['CommitRevealEnabled', '//Alice', 4, [2, 3], [1, 1], 0],
    ];

    it.each(cases)('fails with %s', async (error, signer, netuid, uids, values, versionKey) => {
      const outcome = await submit(
        api,
        client.tx.subtensorModule.setWeights(netuid, uids, values, versionKey),
        devKey(signer),
      );
      expect(outcome.error).toBe(`subtensorModule.${error}`);
      expect(outcome.events).toEqual(['system.ExtrinsicFailed']);
    });

    it('accepts weights that keep every rule, and a miner’s weight on itself without a permit', async () => {
      const valid = await submit(
        api,
        client.tx.subtensorModule.setWeights(2, [2, 3, 4], [1, 1, 1], 5),
        alice,
      );
      expect(valid.error).toBeUndefined();
      const self = await submit(api, client.tx.subtensorModule.setWeights(2, [2], [1], 5), devKey('//M1'));
      expect(self.error).toBeUndefined();
      expect((await client.query.subtensorModule.weights(2, 2)).toJSON()).toEqual([[2, 65535]]);
    });

    it('enforces the weights rate limit (SettingWeightsTooFast) until WeightsSetRateLimit blocks passed', async () => {
      const first = await submit(api, client.tx.subtensorModule.setWeights(3, [2], [1], 0), alice);
      expect(first.error).toBeUndefined();
      const setAt = (await api.rpc.chain.getHeader(first.blockHash)).number.toNumber();
      const again = await submit(api, client.tx.subtensorModule.setWeights(3, [2], [1], 0), alice);
      expect(again.error).toBe('subtensorModule.SettingWeightsTooFast');
      await landIn(setAt + 10);
      const later = await submit(api, client.tx.subtensorModule.setWeights(3, [2], [1], 0), alice);
      expect(later.error).toBeUndefined();
    });
  });

  describe('commit_weights and reveal_weights', () => {
    const uids = [2, 3];
    const values = [10, 20];
    const salt = [1, 2, 3];

    /** The commit hash computed independently: SCALE of the tuple through polkadot-js, then blake2-256. */
    function expectedHash(hotkey: string, netuid: number, saltValues: number[]): string {
      const registry = new TypeRegistry();
      const encoded = registry
        .createType('(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)', [
          hotkey,
          netuid,
          uids,
          values,
          saltValues,
          0,
        ])
        .toU8a();
      return blake2AsHex(encoded, 256);
    }

    it('refuses to commit where commit-reveal is off (CommitRevealDisabled)', async () => {
      const hash = expectedHash(alice.address, 2, salt);
      const outcome = await submit(api, client.tx.subtensorModule.commitWeights(2, hash), alice);
      expect(outcome.error).toBe('subtensorModule.CommitRevealDisabled');
    });

    it('stores the commit, refuses an early or wrong reveal, and sets the weights on the right one', async () => {
      const hash = expectedHash(alice.address, 4, salt);
      const committed = await submit(api, client.tx.subtensorModule.commitWeights(4, hash), alice);
      expect(committed.events).toEqual(['subtensorModule.WeightsCommitted', 'system.ExtrinsicSuccess']);
      const commitBlock = (await api.rpc.chain.getHeader(committed.blockHash)).number.toNumber();
      const stored = (await client.query.subtensorModule.weightCommits(4, alice.address)).toJSON() as [
        string,
        number,
        number,
        number,
      ][];
      const firstReveal = (epochIndex(4, 10, commitBlock) + 1) * 11 - 5;
      expect(stored).toEqual([[hash, commitBlock, firstReveal, firstReveal + 10]]);

      const early = await submit(
        api,
        client.tx.subtensorModule.revealWeights(4, uids, values, salt, 0),
        alice,
      );
      expect(early.error).toBe('subtensorModule.RevealTooEarly');

      await landIn(firstReveal);
      const wrong = await submit(
        api,
        client.tx.subtensorModule.revealWeights(4, uids, values, [9, 9], 0),
        alice,
      );
      expect(wrong.error).toBe('subtensorModule.InvalidRevealCommitHashNotMatch');
      const revealed = await submit(
        api,
        client.tx.subtensorModule.revealWeights(4, uids, values, salt, 0),
        alice,
      );
      expect(revealed.error).toBeUndefined();
      expect(revealed.events).toEqual([
        'subtensorModule.WeightsSet',
        'subtensorModule.WeightsRevealed',
        'system.ExtrinsicSuccess',
      ]);
      expect((await client.query.subtensorModule.weights(4, 0)).toJSON()).toEqual([
        [2, 32768],
        [3, 65535],
      ]);
      expect((await client.query.subtensorModule.weightCommits(4, alice.address)).isEmpty).toBe(true);
      const again = await submit(
        api,
        client.tx.subtensorModule.revealWeights(4, uids, values, salt, 0),
        alice,
      );
      expect(again.error).toBe('subtensorModule.NoWeightsCommitFound');
    });

    it('lets a commit expire after its reveal epoch (ExpiredWeightCommit)', async () => {
      const bob = devKey('//Bob');
      const hash = expectedHash(bob.address, 4, salt);
      const committed = await submit(api, client.tx.subtensorModule.commitWeights(4, hash), bob);
      expect(committed.error).toBeUndefined();
      const commitBlock = (await api.rpc.chain.getHeader(committed.blockHash)).number.toNumber();
      await landIn((epochIndex(4, 10, commitBlock) + 2) * 11 - 5);
      const late = await submit(api, client.tx.subtensorModule.revealWeights(4, uids, values, salt, 0), bob);
      expect(late.error).toBe('subtensorModule.ExpiredWeightCommit');
    });

    it('stores commit_timelocked_weights per epoch (the devnet has no drand to reveal them)', async () => {
      const m2 = devKey('//M2');
      const outcome = await submit(
        api,
        client.tx.subtensorModule.commitTimelockedWeights(4, '0xdeadbeef', 123, 4),
        m2,
      );
      expect(outcome.events).toEqual([
        'subtensorModule.TimelockedWeightsCommitted',
        'system.ExtrinsicSuccess',
      ]);
      const block = (await api.rpc.chain.getHeader(outcome.blockHash)).number.toNumber();
      const queue = (
        await client.query.subtensorModule.timelockedWeightCommits(4, epochIndex(4, 10, block))
      ).toJSON();
      expect(queue).toEqual([[m2.address, block, '0xdeadbeef', 123]]);
    });
  });

  describe('serve_axon', () => {
    const m3 = devKey('//M3');

    it('stores the axon and emits AxonServed', async () => {
      const outcome = await submit(
        api,
        client.tx.subtensorModule.serveAxon(2, 7, 0x0a000005, 9000, 4, 4, 0, 0),
        m3,
      );
      expect(outcome.events).toEqual(['subtensorModule.AxonServed', 'system.ExtrinsicSuccess']);
      const block = (await api.rpc.chain.getHeader(outcome.blockHash)).number.toNumber();
      expect((await client.query.subtensorModule.axons(2, m3.address)).toJSON()).toEqual({
        block,
        version: 7,
        ip: 0x0a000005,
        port: 9000,
        ipType: 4,
        protocol: 4,
        placeholder1: 0,
        placeholder2: 0,
      });
    });

    const cases: [string, string, number, number][] = [
      ['HotKeyNotRegisteredInNetwork', '//Nobody', 0x0a000005, 4],
      ['InvalidIpType', '//M4', 0x0a000005, 5],
      ['InvalidIpAddress', '//M4', 0x7f000001, 4],
      ['ServingRateLimitExceeded', '//M3', 0x0a000006, 4],
    ];
    it.each(cases)('fails with %s', async (error, signer, ip, ipType) => {
      const outcome = await submit(
        api,
        client.tx.subtensorModule.serveAxon(2, 1, ip, 9001, ipType, 4, 0, 0),
        devKey(signer),
      );
      expect(outcome.error).toBe(`subtensorModule.${error}`);
    });
  });

  describe('burned_register and add_stake', () => {
    const zed = devKey('//Zed');
    const zedCold = devKey('//Zed//cold');

    beforeAll(async () => {
      await submit(
        api,
        client.tx.balances.transferKeepAlive(zedCold.address, 100n * TAO),
        devKey('//Alice//cold'),
      );
    });

    it('registers a hotkey for the burn, at the next uid', async () => {
      const outcome = await submit(api, client.tx.subtensorModule.burnedRegister(2, zed.address), zedCold);
      expect(outcome.events).toEqual(['subtensorModule.NeuronRegistered', 'system.ExtrinsicSuccess']);
      expect((await client.query.subtensorModule.uids(2, zed.address)).toJSON()).toBe(6);
      expect((await client.query.subtensorModule.subnetworkN(2)).toJSON()).toBe(7);
      const account = (await client.query.system.account(zedCold.address)).toJSON() as {
        data: { free: number };
      };
      expect(BigInt(account.data.free)).toBe(99n * TAO);
      const again = await submit(api, client.tx.subtensorModule.burnedRegister(2, zed.address), zedCold);
      expect(again.error).toBe('subtensorModule.HotKeyAlreadyRegisteredInSubNet');
      const stranger = await submit(
        api,
        client.tx.subtensorModule.burnedRegister(2, zed.address),
        devKey('//Bob//cold'),
      );
      expect(stranger.error).toBe('subtensorModule.HotKeyAlreadyRegisteredInSubNet');
    });

    it('stakes from the coldkey onto the hotkey', async () => {
      const outcome = await submit(
        api,
        client.tx.subtensorModule.addStake(zed.address, 2, 10n * TAO),
        zedCold,
      );
      expect(outcome.events).toEqual(['subtensorModule.StakeAdded', 'system.ExtrinsicSuccess']);
      expect((await client.query.subtensorModule.totalHotkeyAlpha(zed.address, 2)).toString()).toBe(
        String(10n * TAO),
      );
      const tooLow = await submit(api, client.tx.subtensorModule.addStake(zed.address, 2, 1), zedCold);
      expect(tooLow.error).toBe('subtensorModule.AmountTooLow');
      const tooMuch = await submit(
        api,
        client.tx.subtensorModule.addStake(zed.address, 2, 1_000n * TAO),
        zedCold,
      );
      expect(tooMuch.error).toBe('subtensorModule.NotEnoughBalanceToStake');
      const removed = await submit(
        api,
        client.tx.subtensorModule.removeStake(zed.address, 2, 4n * TAO),
        zedCold,
      );
      expect(removed.events).toEqual(['subtensorModule.StakeRemoved', 'system.ExtrinsicSuccess']);
      expect((await client.query.subtensorModule.totalHotkeyAlpha(zed.address, 2)).toString()).toBe(
        String(6n * TAO),
      );
      const overdrawn = await submit(
        api,
        client.tx.subtensorModule.removeStake(zed.address, 2, 7n * TAO),
        zedCold,
      );
      expect(overdrawn.error).toBe('subtensorModule.NotEnoughStakeToWithdraw');
      const noHotkey = await submit(
        api,
        client.tx.subtensorModule.addStake(devKey('//Ghost').address, 2, TAO),
        zedCold,
      );
      expect(noHotkey.error).toBe('subtensorModule.HotKeyAccountNotExists');
    });
  });

  describe('dev_setHyperparameters', () => {
    it('changes a subnet’s hyperparameters in a new block, and the rules follow them', async () => {
      const head = await rpc<number>(api, 'dev_setHyperparameters', [
        3,
        { commitRevealEnabled: true, tempo: 7 },
      ]);
      expect((await api.rpc.chain.getHeader()).number.toNumber()).toBe(head);
      expect((await client.query.subtensorModule.tempo(3)).toJSON()).toBe(7);
      const outcome = await submit(api, client.tx.subtensorModule.setWeights(3, [2], [1], 0), alice);
      expect(outcome.error).toBe('subtensorModule.CommitRevealEnabled');
      await expect(rpc(api, 'dev_setHyperparameters', [3, { tempoo: 1 }])).rejects.toThrow('-32602');
      await expect(rpc(api, 'dev_setHyperparameters', [88, { tempo: 1 }])).rejects.toThrow(
        'netuid 88 does not exist',
      );
    });
  });

  describe('epochs', () => {
    it('turn validators’ weights into incentive, dividends and emission at the tempo boundary', async () => {
      const bob = devKey('//Bob');
      expect(
        (await submit(api, client.tx.subtensorModule.setWeights(5, [2, 3], [3, 1], 0), alice)).error,
      ).toBeUndefined();
      expect(
        (await submit(api, client.tx.subtensorModule.setWeights(5, [2, 3], [1, 1], 0), bob)).error,
      ).toBeUndefined();
      // The first epoch block after the weights' block (an epoch runs as its block starts).
      const next = (await head()) + 1;
      const epochBlock = next + blocksUntilNextEpoch(5, 10, next);
      await landIn(epochBlock + 1);
      const neurons = (await client.call.neuronInfoRuntimeApi.getNeuronsLite(5)).toJSON() as {
        incentive: number;
        dividends: number;
        emission: number;
        validatorTrust: number;
        consensus: number;
      }[];
      const [validatorA, validatorB, minerA, minerB, minerC] = neurons;
      expect(minerA?.incentive).toBeGreaterThan(minerB?.incentive ?? 0);
      expect(minerB?.incentive).toBeGreaterThan(0);
      expect(minerC?.incentive).toBe(0);
      expect(validatorA?.dividends).toBeGreaterThan(validatorB?.dividends ?? 0);
      expect(validatorB?.dividends).toBeGreaterThan(0);
      expect(validatorA?.validatorTrust).toBe(65535);
      expect(minerA?.emission).toBeGreaterThan(0);
      expect(validatorA?.emission).toBeGreaterThan(0);
      expect((await client.query.subtensorModule.lastMechansimStepBlock(5)).toJSON()).toBe(epochBlock);
    });
  });
});

describe('the transaction pool', () => {
  let devnet: RunningDevnet;
  let api: ApiPromise;
  let client: SubtensorClient;

  beforeAll(async () => {
    // Blocks only on dev_newBlocks: the timer is far away.
    devnet = await startDevnet({ material: await loadSubtensorMaterial(), blockTimeMs: 3_600_000 });
    api = await connectApi(devnet.url);
    client = subtensorClient(api);
  });

  afterAll(async () => {
    await api.disconnect();
    await devnet.close();
  });

  const pending = () => rpc<string[]>(api, 'author_pendingExtrinsics');

  // Like a real node, the AccountNonceApi the client asks by default does not count the pool; the pool-aware
  // system_accountNextIndex does, so a client that submits twice in a block takes its nonces from there.
  const nextIndex = async (address: string) => (await api.rpc.system.accountNextIndex(address)).toNumber();

  it('puts two extrinsics of one account with consecutive nonces in the same block', async () => {
    const alice = devKey('//Alice');
    const first = submit(api, client.tx.subtensorModule.setWeights(1, [3], [1], 0), alice, {
      nonce: await nextIndex(alice.address),
    });
    await expect.poll(async () => (await pending()).length).toBe(1);
    const second = submit(api, client.tx.system.remark('0x01'), alice, {
      nonce: await nextIndex(alice.address),
    });
    await expect.poll(async () => (await pending()).length).toBe(2);
    await rpc(api, 'dev_newBlocks', [1]);
    const [a, b] = await Promise.all([first, second]);
    expect(a.blockHash).toBe(b.blockHash);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(await nextIndex(alice.address)).toBe(2);
  });

  it('holds a future nonce back until the gap is filled', async () => {
    const bob = devKey('//Bob');
    const later = submit(api, client.tx.system.remark('0x02'), bob, { nonce: 1 });
    await expect.poll(async () => (await pending()).length).toBe(1);
    await rpc(api, 'dev_newBlocks', [1]);
    expect(await pending()).toHaveLength(1);
    const now = submit(api, client.tx.system.remark('0x03'), bob, { nonce: 0 });
    await expect.poll(async () => (await pending()).length).toBe(2);
    await rpc(api, 'dev_newBlocks', [1]);
    const [a, b] = await Promise.all([later, now]);
    expect(a.blockHash).toBe(b.blockHash);
  });

  it('refuses a second extrinsic with a nonce already in the pool (1014)', async () => {
    const charlie = devKey('//Charlie');
    const queued = submit(api, client.tx.system.remark('0x04'), charlie, { nonce: 0 });
    await expect.poll(async () => (await pending()).length).toBe(1);
    const duplicate = client.tx.system.remark('0x05');
    await duplicate.signAsync(charlie, { nonce: 0 });
    await expect(api.rpc.author.submitExtrinsic(duplicate)).rejects.toThrow('1014: Priority is too low');
    await rpc(api, 'dev_newBlocks', [1]);
    expect((await queued).error).toBeUndefined();
  });
});

describe('timed blocks', () => {
  it('seals a block every DEVNET_BLOCK_TIME_MS without any extrinsic', async () => {
    const devnet = await startDevnet({ material: await loadSubtensorMaterial(), blockTimeMs: 100 });
    try {
      await expect.poll(() => devnet.node.chain.head.number, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    } finally {
      await devnet.close();
    }
  });
});
