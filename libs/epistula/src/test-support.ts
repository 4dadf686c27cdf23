// Keys, clocks and helpers shared by this lib's tests. Not exported from the lib.
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { EpistulaError } from './errors';
import { metagraphSignerPolicy, type SignerPolicy, type SignerStanding } from './signer-policy';

export interface TestKeys {
  /** Signs requests (a validator hotkey). */
  validator: KeyringPair;
  /** Receives requests (a miner hotkey). */
  miner: KeyringPair;
  /** A registered hotkey without a validator permit. */
  other: KeyringPair;
  /** A validator with little stake. */
  poor: KeyringPair;
  /** A hotkey that is not registered. */
  stranger: KeyringPair;
}

/** Well-known development keys (//Alice, //Bob, ...) as sr25519 keyring pairs, SS58 prefix 42. */
export async function testKeys(): Promise<TestKeys> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  return {
    validator: keyring.addFromUri('//Alice'),
    miner: keyring.addFromUri('//Bob'),
    other: keyring.addFromUri('//Charlie'),
    poor: keyring.addFromUri('//Dave'),
    stranger: keyring.addFromUri('//Eve'),
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public now: number) {}

  readonly read = (): number => this.now;
}

/** The EpistulaError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function epistulaRefusal(promise: Promise<unknown>): Promise<EpistulaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EpistulaError) return error;
    throw error;
  }
  throw new Error('expected an EpistulaError');
}

/** 1000 TAO in rao: the minimum stake the test policy asks for. */
export const TEST_MIN_STAKE = 1_000_000_000_000n;

/** A metagraph where the validator qualifies, `other` has no permit, `poor` too little stake, `stranger` is absent. */
export function testSignerPolicy(keys: TestKeys): SignerPolicy {
  const standings = new Map<string, SignerStanding>([
    [keys.validator.address, { validatorPermit: true, stake: 10n * TEST_MIN_STAKE }],
    [keys.miner.address, { validatorPermit: false, stake: 0n }],
    [keys.other.address, { validatorPermit: false, stake: 5n * TEST_MIN_STAKE }],
    [keys.poor.address, { validatorPermit: true, stake: 1n }],
  ]);
  return metagraphSignerPolicy({ lookup: (hotkey) => standings.get(hotkey), minStake: TEST_MIN_STAKE });
}
