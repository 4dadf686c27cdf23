import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  cryptoWaitReady,
  mnemonicGenerate,
  mnemonicToMiniSecret,
  sr25519PairFromSeed,
} from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainErrorCode, isChainError } from './errors';
import { loadHotkey, walletHotkeyPath, type HotkeySource } from './keys';

const DEV_PHRASE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const ALICE_SEED = '0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a';

async function loadError(source: HotkeySource, readFile?: (path: string) => Promise<string>): Promise<Error> {
  try {
    await loadHotkey(source, readFile ? { readFile } : {});
  } catch (error) {
    expect(isChainError(error, ChainErrorCode.KeyLoadFailed)).toBe(true);
    return error as Error;
  }
  throw new Error('expected the key load to fail');
}

/** Everything an error would show in a log line: message, cause chain and inspect output. */
function everythingShown(error: Error): string {
  return `${error.message} ${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
}

describe('loadHotkey', () => {
  let folder: string;

  beforeAll(async () => {
    await cryptoWaitReady();
    folder = await mkdtemp(join(tmpdir(), 'vstack-chain-keys-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('loads a dev URI, a secret seed and a mnemonic', async () => {
    expect((await loadHotkey({ kind: 'uri', uri: '//Alice' })).address).toBe(ALICE);
    expect((await loadHotkey({ kind: 'seed', seed: ALICE_SEED })).address).toBe(ALICE);
    const mnemonic = await loadHotkey({ kind: 'mnemonic', mnemonic: DEV_PHRASE });
    expect(mnemonic.address).toBe(new Keyring({ type: 'sr25519' }).addFromUri(DEV_PHRASE).address);
    expect(mnemonic.type).toBe('sr25519');
  });

  it('loads the hotkey file the Python wallet writes, from any of its secrets', async () => {
    const phrase = mnemonicGenerate(12);
    const seed = mnemonicToMiniSecret(phrase);
    const pair = sr25519PairFromSeed(seed);
    const expected = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromSeed(seed).address;
    const full = {
      accountId: u8aToHex(pair.publicKey),
      publicKey: u8aToHex(pair.publicKey),
      privateKey: u8aToHex(pair.secretKey),
      secretPhrase: phrase,
      secretSeed: u8aToHex(seed),
      ss58Address: expected,
    };
    const variants: Record<string, object> = {
      full,
      seedOnly: { ...full, secretPhrase: null },
      privateKeyOnly: { ...full, secretPhrase: null, secretSeed: null },
    };
    for (const [hotkey, content] of Object.entries(variants)) {
      await mkdir(join(folder, 'validator', 'hotkeys'), { recursive: true });
      await writeFile(join(folder, 'validator', 'hotkeys', hotkey), JSON.stringify(content));
      const loaded = await loadHotkey({ kind: 'wallet', path: folder, name: 'validator', hotkey });
      expect(loaded.address).toBe(expected);
    }
  });

  it('refuses a wallet file whose secret does not derive its account, without showing the secret', async () => {
    const phrase = mnemonicGenerate(12);
    const file = JSON.stringify({ secretPhrase: phrase, ss58Address: ALICE });
    const error = await loadError({ kind: 'wallet', path: '/wallets', name: 'w', hotkey: 'h' }, () =>
      Promise.resolve(file),
    );
    expect(error.message).toContain('/wallets/w/hotkeys/h');
    expect(everythingShown(error)).not.toContain(phrase);
  });

  it('never shows a bad secret in its errors', async () => {
    const words = DEV_PHRASE.split(' ');
    const badChecksum = [...words.slice(0, 11), 'abandon'].join(' ');
    const mnemonicError = await loadError({ kind: 'mnemonic', mnemonic: badChecksum });
    expect(everythingShown(mnemonicError)).not.toContain(badChecksum);
    for (const word of ['curtain', 'lonely']) expect(everythingShown(mnemonicError)).not.toContain(word);

    const seedError = await loadError({ kind: 'seed', seed: `${ALICE_SEED}ff` });
    expect(everythingShown(seedError)).not.toContain(ALICE_SEED.slice(2));

    const uriError = await loadError({ kind: 'uri', uri: `${badChecksum}//hot` });
    expect(everythingShown(uriError)).not.toContain(badChecksum);

    const fileError = await loadError({ kind: 'wallet', name: 'w', hotkey: 'h' }, () =>
      Promise.resolve(JSON.stringify({ secretPhrase: badChecksum })),
    );
    expect(everythingShown(fileError)).not.toContain(badChecksum);
  });

  it('keeps the secret out of what a logger would print of the key pair', async () => {
    const pair = await loadHotkey({ kind: 'seed', seed: ALICE_SEED });
    const printed = `${JSON.stringify(pair)} ${inspect(pair, { depth: 5, showHidden: true })}`;
    expect(printed).not.toContain(ALICE_SEED.slice(2));
    expect(printed).not.toContain(DEV_PHRASE);
  });

  it('explains encrypted, missing and malformed wallet files', async () => {
    const encrypted = await loadError({ kind: 'wallet', name: 'w', hotkey: 'h' }, () =>
      Promise.resolve('$NACL...'),
    );
    expect(encrypted.message).toContain('encrypted');
    const missing = await loadError({ kind: 'wallet', path: folder, name: 'nope', hotkey: 'h' });
    expect(missing.message).toContain('cannot read');
    const publicOnly = await loadError({ kind: 'wallet', name: 'w', hotkey: 'h' }, () =>
      Promise.resolve(JSON.stringify({ ss58Address: ALICE })),
    );
    expect(publicOnly.message).toContain('no secretPhrase');
    const notJson = await loadError({ kind: 'wallet', name: 'w', hotkey: 'h' }, () => Promise.resolve('{'));
    expect(notJson.message).toContain('not JSON');
  });

  it('builds the wallet path and refuses names that escape it', async () => {
    expect(walletHotkeyPath('validator', 'default', '/w')).toBe('/w/validator/hotkeys/default');
    expect(walletHotkeyPath('v', 'h')).toMatch(/\.bittensor\/wallets\/v\/hotkeys\/h$/);
    const escaped = await loadError({ kind: 'wallet', name: '..', hotkey: 'h' });
    expect(escaped.message).toContain('invalid wallet name');
    expect(() => walletHotkeyPath('v', 'a/b')).toThrow(/invalid hotkey name/);
  });
});
