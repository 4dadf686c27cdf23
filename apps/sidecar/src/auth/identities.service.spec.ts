import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Identity, IdentitiesService } from './identities.service';

describe('which tokens open which routes', () => {
  let identities: IdentitiesService;
  let alice: Identity;
  let bob: Identity;

  beforeAll(async () => {
    await cryptoWaitReady();
    const keyring = new Keyring({ type: 'sr25519' });
    alice = {
      name: 'alice',
      netuid: 1,
      token: 'alice-token-0123456789',
      hotkey: keyring.addFromUri('//Alice'),
    };
    bob = { name: 'bob', netuid: 2, token: 'bob-token-0123456789', hotkey: keyring.addFromUri('//Bob') };
    identities = new IdentitiesService([alice, bob], 'open-token-0123456789');
  });

  it('opens the read routes to the open-access token and to every identity token', () => {
    expect(identities.grantsRead('open-token-0123456789')).toBe(true);
    expect(identities.grantsRead('alice-token-0123456789')).toBe(true);
    expect(identities.grantsRead('bob-token-0123456789')).toBe(true);
    expect(identities.grantsRead('open-token-012345678')).toBe(false);
    expect(identities.grantsRead('')).toBe(false);
  });

  it("opens an identity's routes to its own token only", () => {
    expect(identities.grantsIdentity(alice, 'alice-token-0123456789')).toBe(true);
    expect(identities.grantsIdentity(alice, 'bob-token-0123456789')).toBe(false);
    expect(identities.grantsIdentity(alice, 'open-token-0123456789')).toBe(false);
  });

  it('opens nothing to a read token when no open-access token is set, except identity tokens', () => {
    const closed = new IdentitiesService([alice], undefined);
    expect(closed.grantsRead('open-token-0123456789')).toBe(false);
    expect(closed.grantsRead('alice-token-0123456789')).toBe(true);
    expect(closed.netuids()).toEqual([1]);
  });
});
