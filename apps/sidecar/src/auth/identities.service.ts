import { Injectable } from '@nestjs/common';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hotkeySourceFromSecret, loadHotkey, type HotkeySource } from '@vstack/chain';
import type { SidecarIdentity } from '@vstack/config';
import { digestsEqual, secretDigest } from '@vstack/observability';

/** A validator wallet the sidecar acts for, with its loaded hotkey. */
export interface Identity {
  name: string;
  netuid: number;
  token: string;
  hotkey: KeyringPair;
}

/** Where an identity's hotkey comes from: its secret, or a wallet folder. */
export function identityHotkeySource(identity: SidecarIdentity, walletPath: string): HotkeySource {
  if (identity.hotkey !== undefined) return hotkeySourceFromSecret(identity.hotkey);
  return { kind: 'wallet', name: identity.wallet ?? '', hotkey: identity.walletHotkey, path: walletPath };
}

/** The configured identities, their hotkeys loaded once at start; token look-ups in constant time. */
@Injectable()
export class IdentitiesService {
  readonly #byName: ReadonlyMap<string, Identity>;
  /** SHA-256 of each token, so a presented token is hashed once and compared in constant time. */
  readonly #openDigest: Buffer | undefined;
  readonly #digests: ReadonlyMap<Identity, Buffer>;

  constructor(
    identities: readonly Identity[],
    readonly openAccessToken: string | undefined,
  ) {
    this.#byName = new Map(identities.map((identity) => [identity.name, identity]));
    this.#openDigest = openAccessToken === undefined ? undefined : secretDigest(openAccessToken);
    this.#digests = new Map(identities.map((identity) => [identity, secretDigest(identity.token)]));
  }

  /** Loads every identity's hotkey; fails naming the identity whose key cannot be loaded. */
  static async load(
    identities: readonly SidecarIdentity[],
    walletPath: string,
    openAccessToken: string | undefined,
  ): Promise<IdentitiesService> {
    const loaded: Identity[] = [];
    for (const identity of identities) {
      try {
        const hotkey = await loadHotkey(identityHotkeySource(identity, walletPath));
        loaded.push({ name: identity.name, netuid: identity.netuid, token: identity.token, hotkey });
      } catch (error) {
        throw new Error(
          `identity "${identity.name}": ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }
    return new IdentitiesService(loaded, openAccessToken);
  }

  list(): Identity[] {
    return [...this.#byName.values()];
  }

  get(name: string): Identity | undefined {
    return this.#byName.get(name);
  }

  /** The subnets the identities act on. */
  netuids(): number[] {
    return [...new Set(this.list().map((identity) => identity.netuid))];
  }

  /** True when `token` is the open-access token or any identity's token (read routes). */
  grantsRead(token: string): boolean {
    const presented = secretDigest(token);
    let granted = this.#openDigest !== undefined && digestsEqual(presented, this.#openDigest);
    // Compare against every token, whatever matched, so timing does not tell which one did.
    for (const tokenDigest of this.#digests.values())
      granted = digestsEqual(presented, tokenDigest) || granted;
    return granted;
  }

  /** True when `token` is the identity's own token. */
  grantsIdentity(identity: Identity, token: string): boolean {
    return digestsEqual(secretDigest(token), this.#digests.get(identity) ?? secretDigest(identity.token));
  }
}
