import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DevnetErrorCode, isDevnetError } from '../errors';
import { loadSubtensorMaterial } from '../material/material';
import { DevnetNode } from '../node';
import {
  defaultScenario,
  endowmentRao,
  ipToInteger,
  parseScenario,
  resolveKey,
  subnetDefaults,
} from './scenario';

const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

function invalid(input: unknown): string {
  try {
    parseScenario(input);
  } catch (error) {
    if (isDevnetError(error, DevnetErrorCode.InvalidScenario)) return error.message;
    throw error;
  }
  throw new Error('the scenario was accepted');
}

describe('scenarios', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
  });

  it('resolve dev URIs and SS58 addresses to format-42 addresses', () => {
    expect(resolveKey('//Alice')).toBe(ALICE);
    expect(resolveKey(ALICE)).toBe(ALICE);
    expect(resolveKey('//Alice//cold')).not.toBe(ALICE);
  });

  it('resolve secret URIs to the addresses the keyring derives: hard and soft paths, seeds, mnemonics, passwords', () => {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const mnemonic = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
    const uris = [
      '//Bob',
      '//Bob//stash',
      '//Charlie/soft/1',
      '//Dave//hard/soft//hard2',
      '0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      '0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60//miner/3',
      `${mnemonic}//validator`,
      `${mnemonic}///secret`,
      `${mnemonic}//hot/key///secret`,
    ];
    for (const uri of uris) {
      expect(resolveKey(uri), uri).toBe(keyring.createFromUri(uri).address);
    }
  });

  it('fill hyperparameters from the defaults and coldkeys from the hotkey URI', () => {
    const scenario = parseScenario({
      subnets: [
        {
          netuid: 3,
          tempo: 99,
          neurons: [{ hotkey: '//Alice', stake: '5', axon: { ip: '10.0.0.1', port: 80 } }],
        },
      ],
    });
    expect(scenario.subnets[0]?.hyperparameters).toEqual({ ...subnetDefaults, tempo: 99 });
    expect(scenario.subnets[0]?.neurons[0]).toEqual({
      hotkey: ALICE,
      coldkey: resolveKey('//Alice//cold'),
      stake: 5n,
      validator: undefined,
      axon: { ip: 0x0a000001n, ipType: 4, port: 80, protocol: 4, version: 1 },
    });
  });

  it('name every problem: unknown fields, netuid 0, duplicates, bad keys, too many neurons', () => {
    expect(invalid({ subnets: [{ netuid: 1, tempoo: 5 }] })).toContain('Unrecognized key');
    expect(invalid({ subnets: [{ netuid: 0 }] })).toContain('netuid 0 is the root network');
    expect(invalid({ subnets: [{ netuid: 2 }, { netuid: 2 }] })).toContain('netuid 2 appears twice');
    expect(invalid({ subnets: [{ netuid: 2, neurons: [{ hotkey: 'not a key at all' }] }] })).toContain(
      'neither a dev URI nor an SS58 address',
    );
    expect(invalid({ subnets: [{ netuid: 2, neurons: [{ hotkey: '//A' }, { hotkey: '//A' }] }] })).toContain(
      '//A appears twice',
    );
    expect(
      invalid({
        subnets: [{ netuid: 2, maxAllowedUids: 1, neurons: [{ hotkey: '//A' }, { hotkey: '//B' }] }],
      }),
    ).toContain('maxAllowedUids 1');
    expect(invalid({ subnets: [{ netuid: 2, neurons: [{ hotkey: '//A', stake: '-1' }] }] })).toContain('rao');
  });

  it('turn IPv4 and IPv6 into subtensor’s u128', () => {
    expect(ipToInteger('127.0.0.1')).toEqual({ ip: 0x7f000001n, ipType: 4 });
    expect(ipToInteger('::1')).toEqual({ ip: 1n, ipType: 6 });
    expect(ipToInteger('2001:db8::ff00:42:8329').ip).toBe(0x20010db8000000000000ff0000428329n);
  });

  it('replace an existing subnet entirely when applied again', async () => {
    const node = await DevnetNode.create({
      material: await loadSubtensorMaterial(),
      scenario: defaultScenario,
    });
    try {
      const dave = resolveKey('//Dave');
      node.applyScenario({
        subnets: [{ netuid: 1, tempo: 5, neurons: [{ hotkey: '//Eve' }, { hotkey: '//Alice' }] }],
      });
      const storage = node.chain.storageAt();
      expect(storage.subNumber('SubnetworkN', 1)).toBe(2);
      expect(storage.subNumber('Tempo', 1)).toBe(5);
      expect(storage.sub('Keys', 1, 0).toString()).toBe(resolveKey('//Eve'));
      expect(storage.sub('Keys', 1, 5).isEmpty).toBe(true);
      expect(storage.sub('Uids', 1, dave).isEmpty).toBe(true);
      expect(storage.sub('Axons', 1, dave).isEmpty).toBe(true);
      expect(storage.subBigInt('TotalHotkeyAlpha', ALICE, 1)).toBe(0n);
      expect(storage.subNumbers('ValidatorPermit', 1)).toEqual([0, 0]);
      expect(storage.subNumber('TotalNetworks')).toBe(1);
      const account = storage.get('System', 'Account', resolveKey('//Eve//cold')).toJSON() as {
        data: { free: number };
      };
      expect(BigInt(account.data.free)).toBe(endowmentRao);
    } finally {
      node.close();
    }
  });
});
