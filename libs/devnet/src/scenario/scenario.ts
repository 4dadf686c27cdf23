import { isIPv4, isIPv6 } from 'node:net';
import { DEV_PHRASE, Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hexToU8a, isHex } from '@polkadot/util';
import { decodeAddress, encodeAddress, keyExtractSuri, mnemonicToMiniSecret } from '@polkadot/util-crypto';
import {
  isReady as wasmCryptoReady,
  sr25519DeriveKeypairHard,
  sr25519DeriveKeypairSoft,
  sr25519KeypairFromSeed,
} from '@polkadot/wasm-crypto';
import { z } from 'zod';
import { DevnetError, DevnetErrorCode, errorMessage } from '../errors';

/** Rao as a decimal string (or a safe integer). */
const rao = z
  .union([z.string().regex(/^\d+$/, 'must be a whole number of rao'), z.number().int().nonnegative()])
  .transform((value) => BigInt(value));

/** A dev URI (//Alice, //Alice//cold, a mnemonic with a path) or an SS58 address. */
const keyReference = z.string().min(1);

const u16 = z.number().int().min(0).max(65_535);

const axonSchema = z
  .object({
    ip: z.string().refine((ip) => isIPv4(ip) || isIPv6(ip), 'must be an IPv4 or IPv6 address'),
    port: z.number().int().min(1).max(65_535),
    protocol: z.number().int().min(0).max(255).default(4),
    version: z.number().int().min(0).default(1),
  })
  .strict();

const neuronSchema = z
  .object({
    hotkey: keyReference,
    /** Owner of the hotkey; defaults to the hotkey's dev URI with //cold appended (or the hotkey itself). */
    coldkey: keyReference.optional(),
    /** Stake on the hotkey from its coldkey, in rao. */
    stake: rao.default(0n),
    /** Holds a validator permit from the start (later epochs give permits to the top-k by stake). */
    validator: z.boolean().optional(),
    axon: axonSchema.optional(),
  })
  .strict();

/** Hyperparameters a scenario may set per subnet; any left out takes the value in subnetDefaults. */
const hyperparameterShape = {
  tempo: u16.min(1).optional(),
  /** WeightsSetRateLimit, in blocks. */
  weightsRateLimit: z.number().int().nonnegative().optional(),
  /** CommitRevealWeightsEnabled. */
  commitRevealEnabled: z.boolean().optional(),
  /** RevealPeriodEpochs. */
  revealPeriodEpochs: z.number().int().nonnegative().optional(),
  /** WeightsVersionKey. */
  weightsVersionKey: rao.optional(),
  minAllowedWeights: u16.optional(),
  /** MaxWeightsLimit: the largest normalised weight, as a fraction of 65535. */
  maxWeightsLimit: u16.optional(),
  maxAllowedUids: u16.min(1).optional(),
  maxAllowedValidators: u16.optional(),
  immunityPeriod: u16.optional(),
  activityCutoff: u16.optional(),
  /** Burn: the cost of burned_register, in rao. */
  burn: rao.optional(),
  /** NetworkRegistrationAllowed. */
  registrationAllowed: z.boolean().optional(),
  maxRegistrationsPerBlock: u16.optional(),
  servingRateLimit: z.number().int().nonnegative().optional(),
  /** Rao the subnet emits per block, handed out at each epoch (EmissionValues). */
  emissionPerBlock: rao.optional(),
};

export const hyperparametersSchema = z.object(hyperparameterShape).strict();

const subnetSchema = z
  .object({
    netuid: u16.min(1, 'netuid 0 is the root network'),
    ...hyperparameterShape,
    neurons: z.array(neuronSchema).default([]),
  })
  .strict();

/** The scenario file (DEVNET_SCENARIO) and dev_applyScenario's parameter. */
export const scenarioSchema = z
  .object({
    subnets: z.array(subnetSchema).default([]),
    /** Free balances to set, in rao; every account a scenario names also gets endowmentRao unless listed. */
    balances: z.array(z.object({ account: keyReference, free: rao }).strict()).default([]),
    /** StakeThreshold: the stake a hotkey needs to set weights (global), in rao. */
    stakeThreshold: rao.optional(),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type HyperparametersInput = z.input<typeof hyperparametersSchema>;
export type Hyperparameters = Required<z.output<typeof hyperparametersSchema>>;

/** Hyperparameters of a scenario subnet that does not set them (chosen for local runs, see README). */
export const subnetDefaults: Hyperparameters = {
  tempo: 60,
  weightsRateLimit: 30,
  commitRevealEnabled: false,
  revealPeriodEpochs: 1,
  weightsVersionKey: 0n,
  minAllowedWeights: 1,
  maxWeightsLimit: 65_535,
  maxAllowedUids: 256,
  maxAllowedValidators: 64,
  immunityPeriod: 4096,
  activityCutoff: 5000,
  burn: 1_000_000_000n,
  registrationAllowed: true,
  maxRegistrationsPerBlock: 16,
  servingRateLimit: 50,
  emissionPerBlock: 1_000_000_000n,
};

/** The free balance every account named by a scenario starts with: 1,000,000 TAO. */
export const endowmentRao = 1_000_000n * 1_000_000_000n;

const tao = (amount: number) => String(BigInt(amount) * 1_000_000_000n);

/**
 * The scenario used when none is given: netuid 1 (tempo 60, see subnetDefaults) with validators //Alice,
 * //Bob, //Charlie (stake 100k, 50k, 25k TAO) and miners //Dave, //Eve, //Ferdie, //Miner1, //Miner2 with
 * axons on 127.0.0.1 (ports 8091, 8191, 8192, 8193, 8194). Coldkeys are the hotkey URIs + //cold.
 */
export const defaultScenario: ScenarioInput = {
  subnets: [
    {
      netuid: 1,
      neurons: [
        { hotkey: '//Alice', stake: tao(100_000), validator: true },
        { hotkey: '//Bob', stake: tao(50_000), validator: true },
        { hotkey: '//Charlie', stake: tao(25_000), validator: true },
        ...[
          ['//Dave', 8091],
          ['//Eve', 8191],
          ['//Ferdie', 8192],
          ['//Miner1', 8193],
          ['//Miner2', 8194],
        ].map(([hotkey, port]) => ({
          hotkey: String(hotkey),
          axon: { ip: '127.0.0.1', port: Number(port) },
        })),
      ],
    },
  ],
};

export interface ResolvedNeuron {
  hotkey: string;
  coldkey: string;
  stake: bigint;
  validator: boolean | undefined;
  axon?: { ip: bigint; ipType: 4 | 6; port: number; protocol: number; version: number };
}

export interface ResolvedSubnet {
  netuid: number;
  hyperparameters: Hyperparameters;
  neurons: ResolvedNeuron[];
}

/** A validated scenario with every key resolved to an SS58 address (format 42). */
export interface Scenario {
  subnets: ResolvedSubnet[];
  balances: { account: string; free: bigint }[];
  stakeThreshold?: bigint;
}

const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
const resolvedKeys = new Map<string, string>();
const roots = new Map<string, KeyringPair>();
/** Root key pairs (secret key then public key, 96 bytes) by secret URI without its derivation path. */
const wasmRoots = new Map<string, Uint8Array>();

/** The address of a secret URI, deriving from a cached root (the mnemonic's seed costs a PBKDF2 each time). */
function addressFromUri(uri: string): string {
  const { phrase, password, derivePath, path } = keyExtractSuri(
    uri.startsWith('//') ? `${DEV_PHRASE}${uri}` : uri,
  );
  const words = phrase.split(' ').length;
  if (!/^0x[0-9a-fA-F]{64}$/.test(phrase) && ![12, 15, 18, 21, 24].includes(words)) {
    // The keyring would take any short text as a raw seed; a scenario key is a URI, a seed or a mnemonic.
    throw new Error('expected //Name, a 0x seed or a mnemonic, each with an optional derivation path');
  }
  const rootUri = password ? `${phrase}///${password}` : phrase;
  if (wasmCryptoReady()) {
    // The keyring derives in JavaScript (about 20 ms a key on first use); the node has the WASM build ready, and a
    // default scenario resolves a dozen keys while the devnet starts.
    let pair = wasmRoots.get(rootUri);
    if (!pair) {
      pair = sr25519KeypairFromSeed(
        isHex(phrase, 256) ? hexToU8a(phrase) : mnemonicToMiniSecret(phrase, password),
      );
      wasmRoots.set(rootUri, pair);
    }
    for (const junction of path) {
      pair = junction.isHard
        ? sr25519DeriveKeypairHard(pair, junction.chainCode)
        : sr25519DeriveKeypairSoft(pair, junction.chainCode);
    }
    return encodeAddress(pair.subarray(64), 42);
  }
  let root = roots.get(rootUri);
  if (!root) {
    root = keyring.createFromUri(rootUri);
    roots.set(rootUri, root);
  }
  return derivePath ? root.derive(derivePath).address : root.address;
}

/** The SS58 address of a dev URI or an address. */
export function resolveKey(reference: string): string {
  let address = resolvedKeys.get(reference);
  if (address === undefined) {
    try {
      address = /^[1-9A-HJ-NP-Za-km-z]{46,48}$/.test(reference)
        ? encodeAddress(decodeAddress(reference), 42)
        : addressFromUri(reference);
    } catch (error) {
      throw new DevnetError(
        DevnetErrorCode.InvalidScenario,
        `"${reference}" is neither a dev URI nor an SS58 address (${errorMessage(error)})`,
        { cause: error },
      );
    }
    resolvedKeys.set(reference, address);
  }
  return address;
}

/** An IP address as the u128 subtensor stores, and its type. */
export function ipToInteger(ip: string): { ip: bigint; ipType: 4 | 6 } {
  if (isIPv4(ip)) {
    return { ip: ip.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n), ipType: 4 };
  }
  const [head = '', tail] = ip.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return {
    ip: all.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n),
    ipType: 6,
  };
}

function withDefaults(given: Partial<Hyperparameters>): Hyperparameters {
  const result = { ...subnetDefaults };
  for (const name of Object.keys(given) as (keyof Hyperparameters)[]) {
    const value = given[name];
    if (value !== undefined) Object.assign(result, { [name]: value });
  }
  return result;
}

/** Validates a scenario (file content or dev_applyScenario's parameter) and resolves its keys. */
export function parseScenario(input: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(scenario)'}: ${issue.message}`,
    );
    throw new DevnetError(DevnetErrorCode.InvalidScenario, `invalid scenario: ${problems.join('; ')}`);
  }
  const { subnets, balances, stakeThreshold } = parsed.data;
  const seen = new Set<number>();
  const resolved: ResolvedSubnet[] = subnets.map((subnet) => {
    if (seen.has(subnet.netuid)) {
      throw new DevnetError(DevnetErrorCode.InvalidScenario, `netuid ${subnet.netuid} appears twice`);
    }
    seen.add(subnet.netuid);
    const { netuid, neurons, ...given } = subnet;
    const hyperparameters = withDefaults(given);
    if (neurons.length > hyperparameters.maxAllowedUids) {
      throw new DevnetError(
        DevnetErrorCode.InvalidScenario,
        `netuid ${netuid} has ${neurons.length} neurons but maxAllowedUids ${hyperparameters.maxAllowedUids}`,
      );
    }
    const hotkeys = new Set<string>();
    return {
      netuid,
      hyperparameters,
      neurons: neurons.map((neuron) => {
        const hotkey = resolveKey(neuron.hotkey);
        if (hotkeys.has(hotkey)) {
          throw new DevnetError(
            DevnetErrorCode.InvalidScenario,
            `netuid ${netuid}: ${neuron.hotkey} appears twice`,
          );
        }
        hotkeys.add(hotkey);
        const coldkeyReference =
          neuron.coldkey ?? (neuron.hotkey.startsWith('/') ? `${neuron.hotkey}//cold` : neuron.hotkey);
        const axon = neuron.axon
          ? {
              ...ipToInteger(neuron.axon.ip),
              port: neuron.axon.port,
              protocol: neuron.axon.protocol,
              version: neuron.axon.version,
            }
          : undefined;
        return {
          hotkey,
          coldkey: resolveKey(coldkeyReference),
          stake: neuron.stake,
          validator: neuron.validator,
          ...(axon ? { axon } : {}),
        };
      }),
    };
  });
  return {
    subnets: resolved,
    balances: balances.map((entry) => ({ account: resolveKey(entry.account), free: entry.free })),
    ...(stakeThreshold === undefined ? {} : { stakeThreshold }),
  };
}
