import { type HotkeySource, hotkeySourceFromSecret, loadHotkey } from '@vstack/chain';
import type { ValidatorConfig } from '@vstack/config';
import { type EpistulaSigner, sr25519SignerFromPair } from '@vstack/epistula';
import { ValidatorError, ValidatorErrorCode } from './errors';

type HotkeyConfig = Pick<
  ValidatorConfig,
  'VALIDATOR_HOTKEY' | 'VALIDATOR_WALLET_NAME' | 'VALIDATOR_WALLET_HOTKEY' | 'VALIDATOR_WALLET_PATH'
>;

/** Where the validator's hotkey comes from: VALIDATOR_HOTKEY (dev URI, seed or mnemonic) or a Bittensor wallet. */
export function validatorHotkeySource(config: HotkeyConfig): HotkeySource {
  const secret = config.VALIDATOR_HOTKEY?.trim();
  if (secret) return hotkeySourceFromSecret(secret);
  if (config.VALIDATOR_WALLET_NAME) {
    return {
      kind: 'wallet',
      name: config.VALIDATOR_WALLET_NAME,
      hotkey: config.VALIDATOR_WALLET_HOTKEY,
      path: config.VALIDATOR_WALLET_PATH,
    };
  }
  throw new ValidatorError(
    ValidatorErrorCode.HotkeyMissing,
    'set VALIDATOR_HOTKEY or VALIDATOR_WALLET_NAME: the validator signs every request to miners with its hotkey',
  );
}

/** The signer of the validator's requests (the WebAssembly sr25519 build, fast enough to sign every call). */
export async function loadValidatorSigner(config: HotkeyConfig): Promise<EpistulaSigner> {
  return sr25519SignerFromPair(await loadHotkey(validatorHotkeySource(config)));
}
