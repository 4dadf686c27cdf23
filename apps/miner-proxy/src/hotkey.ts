import type { MinerProxyConfig } from '@vstack/config';
import { type HotkeySource, hotkeySourceFromSecret, loadHotkey } from '@vstack/chain';
import type { KeyringPair } from '@polkadot/keyring/types';
import { MinerProxyError, MinerProxyErrorCode } from './errors';

/** Where the miner's hotkey comes from: MINER_HOTKEY (dev URI, seed or mnemonic) or a Bittensor wallet. */
export function hotkeySourceOf(
  config: Pick<
    MinerProxyConfig,
    'MINER_HOTKEY' | 'MINER_WALLET_NAME' | 'MINER_WALLET_HOTKEY' | 'MINER_WALLET_PATH'
  >,
): HotkeySource {
  const secret = config.MINER_HOTKEY?.trim();
  if (secret) return hotkeySourceFromSecret(secret);
  if (config.MINER_WALLET_NAME) {
    return {
      kind: 'wallet',
      name: config.MINER_WALLET_NAME,
      hotkey: config.MINER_WALLET_HOTKEY,
      path: config.MINER_WALLET_PATH,
    };
  }
  throw new MinerProxyError(
    MinerProxyErrorCode.HotkeyMissing,
    "set MINER_HOTKEY or MINER_WALLET_NAME: the proxy needs the miner's hotkey",
  );
}

/** The miner's hotkey pair, from MINER_HOTKEY or the wallet. */
export function loadMinerHotkey(config: Parameters<typeof hotkeySourceOf>[0]): Promise<KeyringPair> {
  return loadHotkey(hotkeySourceOf(config));
}

/** The SS58 address of the miner's hotkey. */
export async function minerHotkeyAddress(config: Parameters<typeof hotkeySourceOf>[0]): Promise<string> {
  const pair = await loadMinerHotkey(config);
  return pair.address;
}
