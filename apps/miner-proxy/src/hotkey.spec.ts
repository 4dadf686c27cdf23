import { describe, expect, it } from 'vitest';
import { hotkeySourceOf, minerHotkeyAddress } from './hotkey';

const wallet = { MINER_WALLET_HOTKEY: 'default', MINER_WALLET_PATH: '~/.bittensor/wallets' };

describe('the miner hotkey from config', () => {
  it('reads dev URIs, seeds and mnemonics from MINER_HOTKEY', () => {
    expect(hotkeySourceOf({ ...wallet, MINER_HOTKEY: '//Dave' })).toEqual({ kind: 'uri', uri: '//Dave' });
    const seed = `0x${'ab'.repeat(32)}`;
    expect(hotkeySourceOf({ ...wallet, MINER_HOTKEY: seed })).toEqual({ kind: 'seed', seed });
    const mnemonic = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
    expect(hotkeySourceOf({ ...wallet, MINER_HOTKEY: mnemonic })).toEqual({ kind: 'mnemonic', mnemonic });
  });

  it('falls back to the wallet and refuses to start with neither', () => {
    expect(hotkeySourceOf({ ...wallet, MINER_WALLET_NAME: 'miner' })).toEqual({
      kind: 'wallet',
      name: 'miner',
      hotkey: 'default',
      path: '~/.bittensor/wallets',
    });
    expect(() => hotkeySourceOf(wallet)).toThrow(/MINER_HOTKEY or MINER_WALLET_NAME/);
  });

  it("gives the hotkey's SS58 address", async () => {
    expect(await minerHotkeyAddress({ ...wallet, MINER_HOTKEY: '//Alice' })).toBe(
      '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
    );
  });
});
