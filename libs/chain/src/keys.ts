import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hexToU8a, isHex, stringToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, sr25519Verify } from '@polkadot/util-crypto';
import { ChainError, ChainErrorCode, errorMessage } from './errors';

/** Bittensor's SS58 prefix. */
export const SS58_FORMAT = 42;

/** Where the Python wallet keeps wallets by default. */
export const DEFAULT_WALLET_PATH = '~/.bittensor/wallets';

/** Where an sr25519 hotkey comes from. */
export type HotkeySource =
  | { kind: 'mnemonic'; mnemonic: string }
  | { kind: 'seed'; seed: string }
  | { kind: 'uri'; uri: string }
  | { kind: 'wallet'; name: string; hotkey: string; path?: string };

/** Reads a hotkey secret as operators write it: a 0x seed, a dev URI (//Alice) or a mnemonic. */
export function hotkeySourceFromSecret(secret: string): HotkeySource {
  const text = secret.trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return { kind: 'seed', seed: text };
  if (text.includes('/')) return { kind: 'uri', uri: text };
  return { kind: 'mnemonic', mnemonic: text };
}

export interface LoadHotkeyOptions {
  ss58Format?: number;
  /** Reads a wallet file; the file system by default. */
  readFile?: (path: string) => Promise<string>;
}

/** The JSON file the Python wallet writes for a hotkey (unencrypted). */
interface WalletKeyfile {
  accountId?: string;
  publicKey?: string;
  privateKey?: string;
  secretPhrase?: string | null;
  secretSeed?: string | null;
  ss58Address?: string;
}

function keyError(message: string): ChainError {
  return new ChainError(ChainErrorCode.KeyLoadFailed, message);
}

/** Removes every occurrence of the secrets from a text (a library message could echo its input). */
function scrub(text: string, secrets: readonly (string | null | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 8) result = result.split(secret).join('[redacted]');
  }
  return result;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** The path of a wallet's hotkey file: `<path>/<wallet>/hotkeys/<hotkey>`. */
export function walletHotkeyPath(name: string, hotkey: string, path = DEFAULT_WALLET_PATH): string {
  for (const [label, part] of [
    ['wallet name', name],
    ['hotkey name', hotkey],
  ] as const) {
    if (!part || part.includes('/') || part.includes('\\') || part === '..' || part === '.') {
      throw keyError(`invalid ${label} ${JSON.stringify(part)}`);
    }
  }
  return join(expandHome(path), name, 'hotkeys', hotkey);
}

function pairFromKeyfile(keyring: Keyring, file: WalletKeyfile, where: string): KeyringPair {
  const secrets = [file.secretPhrase, file.secretSeed, file.privateKey];
  try {
    let pair: KeyringPair;
    if (file.secretPhrase) {
      pair = keyring.addFromUri(file.secretPhrase.trim());
    } else if (file.secretSeed && isHex(file.secretSeed, 256)) {
      pair = keyring.addFromSeed(hexToU8a(file.secretSeed));
    } else if (file.privateKey && file.publicKey && isHex(file.privateKey, 512)) {
      pair = keyring.addFromPair({
        publicKey: hexToU8a(file.publicKey),
        secretKey: hexToU8a(file.privateKey),
      });
      const probe = stringToU8a('vstack key check');
      if (!sr25519Verify(probe, pair.sign(probe), pair.publicKey)) {
        throw keyError(`the private key in ${where} does not belong to its public key`);
      }
    } else {
      throw keyError(`${where} holds no secretPhrase, secretSeed or privateKey (only the public part?)`);
    }
    const expected = file.accountId ?? file.ss58Address;
    if (expected && u8aToHex(decodeAddress(expected)) !== u8aToHex(pair.publicKey)) {
      throw keyError(`the secret in ${where} does not derive the account it names`);
    }
    return pair;
  } catch (error) {
    if (error instanceof ChainError) throw error;
    throw keyError(`cannot load the hotkey in ${where}: ${scrub(errorMessage(error), secrets)}`);
  }
}

/**
 * Loads an sr25519 hotkey from a mnemonic, a 32-byte secret seed (0x…), a dev URI (//Alice) or a Bittensor
 * wallet folder. Errors name the source, never the secret.
 */
export async function loadHotkey(
  source: HotkeySource,
  options: LoadHotkeyOptions = {},
): Promise<KeyringPair> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: options.ss58Format ?? SS58_FORMAT });
  switch (source.kind) {
    case 'mnemonic': {
      const words = source.mnemonic.trim().split(/\s+/);
      if (words.length < 12 || source.mnemonic.includes('/')) {
        throw keyError(`a mnemonic has 12 to 24 words and no derivation path; got ${words.length} words`);
      }
      try {
        return keyring.addFromMnemonic(words.join(' '));
      } catch (error) {
        throw keyError(`invalid mnemonic: ${scrub(errorMessage(error), [source.mnemonic, words.join(' ')])}`);
      }
    }
    case 'seed': {
      const seed = source.seed.trim();
      if (!isHex(seed, 256)) throw keyError('a secret seed is 0x followed by 64 hex digits');
      return keyring.addFromSeed(hexToU8a(seed));
    }
    case 'uri': {
      try {
        return keyring.addFromUri(source.uri.trim());
      } catch (error) {
        throw keyError(`invalid key URI: ${scrub(errorMessage(error), [source.uri.trim()])}`);
      }
    }
    case 'wallet': {
      const path = walletHotkeyPath(source.name, source.hotkey, source.path);
      let text: string;
      try {
        text = await (options.readFile ?? ((file: string) => readFile(file, 'utf8')))(path);
      } catch (error) {
        throw keyError(`cannot read the hotkey file ${path}: ${errorMessage(error)}`);
      }
      if (/^\s*\$(NACL|BT|ANSIBLE)/.test(text)) {
        throw keyError(`the hotkey file ${path} is encrypted; only unencrypted hotkey files can be loaded`);
      }
      let file: WalletKeyfile;
      try {
        file = JSON.parse(text) as WalletKeyfile;
      } catch {
        throw keyError(`the hotkey file ${path} is not JSON`);
      }
      if (typeof file !== 'object' || Array.isArray(file)) {
        throw keyError(`the hotkey file ${path} is not a JSON object`);
      }
      return pairFromKeyfile(keyring, file, path);
    }
  }
}
