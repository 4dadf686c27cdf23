import {
  epistulaCryptoReady,
  signEpistulaRequest,
  verifyEpistulaRequest,
  allowAnySigner,
  MemoryReplayCache,
} from '@vstack/epistula';
import { describe, expect, it } from 'vitest';
import { ValidatorErrorCode } from './errors';
import { loadValidatorSigner, validatorHotkeySource } from './hotkey';

const wallet = { VALIDATOR_WALLET_HOTKEY: 'default', VALIDATOR_WALLET_PATH: '~/.bittensor/wallets' };
const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

describe('the validator hotkey', () => {
  it('comes from VALIDATOR_HOTKEY first, then a wallet', () => {
    expect(validatorHotkeySource({ ...wallet, VALIDATOR_HOTKEY: ' //Alice ' })).toEqual({
      kind: 'uri',
      uri: '//Alice',
    });
    expect(validatorHotkeySource({ ...wallet, VALIDATOR_WALLET_NAME: 'validator' })).toEqual({
      kind: 'wallet',
      name: 'validator',
      hotkey: 'default',
      path: '~/.bittensor/wallets',
    });
  });

  it('is required, and the error says which variables to set', () => {
    expect(() => validatorHotkeySource(wallet)).toThrow(
      expect.objectContaining({
        code: ValidatorErrorCode.HotkeyMissing,
        message: expect.stringContaining('set VALIDATOR_HOTKEY or VALIDATOR_WALLET_NAME') as string,
      }),
    );
  });

  it('signs requests a miner verifies as coming from that hotkey', async () => {
    await epistulaCryptoReady();
    const signer = await loadValidatorSigner({ ...wallet, VALIDATOR_HOTKEY: '//Alice' });
    expect(signer.address).toBe(alice);
    const body = '{"operation":"add","a":"1","b":"2"}';
    const { headers } = signEpistulaRequest(signer, body, { signedFor: alice });
    const verified = await verifyEpistulaRequest(headers, body, {
      hotkey: alice,
      signerPolicy: allowAnySigner,
      replayCache: new MemoryReplayCache(),
    });
    expect(verified.signedBy).toBe(alice);
  });
});
