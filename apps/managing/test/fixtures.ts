import type { Axon, Neuron } from '@vstack/contracts';
import { createLogger, type Logger } from '@vstack/observability';

// Neurons, hotkeys and clocks shared by managing's tests.

export const TAO = 1_000_000_000n;

/** Dev accounts as SS58 addresses. */
export const hotkeys = {
  alice: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
  bob: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
  charlie: '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y',
  dave: '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy',
  eve: '5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw',
  ferdie: '5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL',
} as const;

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A distinct address-shaped hotkey for miner number `n` (SS58 alphabet and length, not a real key). */
export function minerHotkey(n: number, variant = 0): string {
  let digits = '';
  let value = n * 7 + variant;
  do {
    digits = (BASE58[value % 58] ?? '1') + digits;
    value = Math.floor(value / 58);
  } while (value > 0);
  return `5M${digits.padStart(46, 'x')}`;
}

export const NO_AXON: Axon = { ip: '0.0.0.0', port: 0, protocol: 0 };

/** A neuron with sensible defaults: a miner with an axon on 10.0.0.<uid>:8091 and no stake. */
export function neuron(
  uid: number,
  hotkey: string,
  options: { stake?: bigint; validatorPermit?: boolean; axon?: Axon } = {},
): Neuron {
  return {
    uid,
    hotkey,
    coldkey: hotkeys.ferdie,
    active: true,
    axon: options.axon ?? { ip: `10.0.${uid >> 8}.${uid & 0xff}`, port: 8091, protocol: 4 },
    stake: String(options.stake ?? 0n),
    validatorPermit: options.validatorPermit ?? false,
    incentive: 0,
    consensus: 0,
    dividends: 0,
    emission: '0',
    validatorTrust: 0,
    lastUpdate: 0,
    blockAtRegistration: 0,
  };
}

/** A validator neuron without an axon. */
export function validator(uid: number, hotkey: string, stakeTao: bigint, permit = true): Neuron {
  return neuron(uid, hotkey, { stake: stakeTao * TAO, validatorPermit: permit, axon: NO_AXON });
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public nowMs = 1_800_000_000_000) {}

  readonly now = (): number => this.nowMs;

  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A logger that writes nowhere. */
export function silentLogger(): Logger {
  return createLogger({ service: 'managing-test', level: 'silent', format: 'json' });
}
