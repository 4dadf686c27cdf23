import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import type { SubtensorMaterial } from '../material/material';

// The JSON form of the parts of MetadataV14/V15 that the upgrade touches (what polkadot-js' toJSON() gives).
interface FieldJson {
  name: string | null;
  type: number;
  typeName: string | null;
  docs: string[];
}
interface VariantJson {
  name: string;
  fields: FieldJson[];
  index: number;
  docs: string[];
}
type TypeDefJson =
  | { composite: { fields: FieldJson[] } }
  | { variant: { variants: VariantJson[] } }
  | { sequence: { type: number } }
  | { array: { len: number; type: number } }
  | { tuple: number[] }
  | { primitive: string }
  | { compact: { type: number } }
  | { bitSequence: unknown };
interface PortableTypeJson {
  id: number;
  type: { path: string[]; params: { name: string; type: number | null }[]; def: TypeDefJson; docs: string[] };
}
interface StorageEntryJson {
  name: string;
  modifier: 'Optional' | 'Default';
  type: { plain: number } | { map: { hashers: string[]; key: number; value: number } };
  fallback: string;
  docs: string[];
}
interface PalletJson {
  name: string;
  index: number;
  storage: { prefix: string; items: StorageEntryJson[] } | null;
  calls: { type: number } | null;
  events: { type: number } | null;
  errors: { type: number } | null;
  constants: unknown[];
}
interface SignedExtensionJson {
  identifier: string;
  type: number;
  additionalSigned: number;
}
interface MetadataV14Json {
  lookup: { types: PortableTypeJson[] };
  pallets: PalletJson[];
  extrinsic: { type: number; version: number; signedExtensions: SignedExtensionJson[] };
  type: number;
}

/** Adds types to a portable registry, reusing an identical one when it is already there. */
class LookupBuilder {
  private readonly known = new Map<string, number>();

  constructor(readonly types: PortableTypeJson[]) {
    for (const entry of types) this.known.set(this.signature(entry.type.def, entry.type.path), entry.id);
  }

  private signature(def: TypeDefJson, path: string[]): string {
    return JSON.stringify([def, path]);
  }

  get(id: number): PortableTypeJson['type'] {
    const entry = this.types[id];
    if (!entry) throw new Error(`metadata has no type ${id}`);
    return entry.type;
  }

  find(test: (type: PortableTypeJson['type']) => boolean, what: string): number {
    const entry = this.types.find((candidate) => test(candidate.type));
    if (!entry) throw new Error(`subtensor metadata has no ${what}`);
    return entry.id;
  }

  byPath(path: string): number {
    return this.find((type) => type.path.join('::') === path, path);
  }

  primitive(name: string): number {
    return this.find((type) => 'primitive' in type.def && type.def.primitive === name, name);
  }

  add(def: TypeDefJson, path: string[] = [], params: { name: string; type: number | null }[] = []): number {
    const key = this.signature(def, path);
    const existing = this.known.get(key);
    if (existing !== undefined) return existing;
    const id = this.types.length;
    this.types.push({ id, type: { path, params, def, docs: [] } });
    this.known.set(key, id);
    return id;
  }

  variants(id: number): VariantJson[] {
    const def = this.get(id).def;
    if (!('variant' in def)) throw new Error(`type ${id} is not an enum`);
    return def.variant.variants;
  }
}

function field(name: string | null, type: number, typeName: string | null = null): FieldJson {
  return { name, type, typeName, docs: [] };
}

function pallet(v14: MetadataV14Json, name: string): PalletJson {
  const found = v14.pallets.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`subtensor metadata has no ${name} pallet`);
  return found;
}

/** Current subtensor's SubtensorModule additions: commit_timelocked_weights and what it stores and emits. */
function addTimelockedCommits(v14: MetadataV14Json, lookup: LookupBuilder): void {
  const subtensor = pallet(v14, 'SubtensorModule');
  if (!subtensor.calls || !subtensor.events || !subtensor.storage) {
    throw new Error('SubtensorModule is empty');
  }
  const u16 = lookup.primitive('U16');
  const u64 = lookup.primitive('U64');
  const account = lookup.byPath('sp_core::crypto::AccountId32');
  const hash = lookup.byPath('primitive_types::H256');
  const calls = lookup.variants(subtensor.calls.type);
  const crv3 = calls.find((call) => call.name === 'commit_crv3_weights');
  const commitField = crv3?.fields[1];
  if (!commitField) {
    throw new Error('SubtensorModule has no commit_crv3_weights(netuid, commit, reveal_round)');
  }
  calls.push({
    name: 'commit_timelocked_weights',
    index: 113,
    fields: [
      field('netuid', u16, 'NetUid'),
      field('commit', commitField.type, commitField.typeName),
      field('reveal_round', u64, 'u64'),
      field('commit_reveal_version', u16, 'u16'),
    ],
    docs: ['Commits timelock-encrypted weights, revealed by the chain once the drand round is out.'],
  });
  const events = lookup.variants(subtensor.events.type);
  events.push({
    name: 'TimelockedWeightsCommitted',
    index: Math.max(...events.map((event) => event.index)) + 1,
    fields: [
      field(null, account, 'T::AccountId'),
      field(null, u16, 'NetUid'),
      field(null, hash, 'H256'),
      field(null, u64, 'u64'),
    ],
    docs: ['Timelocked weights were committed: (hotkey, netuid, commit hash, reveal round).'],
  });
  const bytes = lookup.add({ sequence: { type: lookup.primitive('U8') } });
  const commit = lookup.add({ tuple: [account, u64, bytes, u64] });
  subtensor.storage.items.push({
    name: 'TimelockedWeightCommits',
    modifier: 'Default',
    type: {
      map: {
        hashers: ['Twox64Concat', 'Twox64Concat'],
        key: lookup.add({ tuple: [u16, u64] }),
        value: lookup.add({ sequence: { type: commit } }),
      },
    },
    fallback: '0x00',
    docs: [' (netuid, epoch) -> [(hotkey, commit block, commit, reveal round)]'],
  });
}

/**
 * Current subtensor's transaction extensions (runtime/src/lib.rs TxExtension). Only
 * ChargeTransactionPaymentWrapper carries data (the Compact tip of ChargeTransactionPayment); the four
 * subtensor-specific ones are zero-sized.
 */
function currentTransactionExtensions(v14: MetadataV14Json, lookup: LookupBuilder): SignedExtensionJson[] {
  const byIdentifier = new Map(v14.extrinsic.signedExtensions.map((ext) => [ext.identifier, ext]));
  const existing = (identifier: string): SignedExtensionJson => {
    const ext = byIdentifier.get(identifier);
    if (!ext) throw new Error(`subtensor metadata has no ${identifier} extension`);
    return ext;
  };
  const unit = lookup.add({ tuple: [] });
  const zeroSized = (identifier: string, path: string[]): SignedExtensionJson => ({
    identifier,
    type: lookup.add({ composite: { fields: [] } }, path),
    additionalSigned: unit,
  });
  const payment = existing('ChargeTransactionPayment');
  return [
    ...['CheckNonZeroSender', 'CheckSpecVersion', 'CheckTxVersion', 'CheckGenesis'].map(existing),
    ...['CheckMortality', 'CheckNonce', 'CheckWeight'].map(existing),
    {
      identifier: 'ChargeTransactionPaymentWrapper',
      type: lookup.add(
        { composite: { fields: [field('inner', payment.type, 'ChargeTransactionPayment<T>')] } },
        ['node_subtensor_runtime', 'transaction_payment_wrapper', 'ChargeTransactionPaymentWrapper'],
      ),
      additionalSigned: unit,
    },
    zeroSized('SudoTransactionExtension', [
      'node_subtensor_runtime',
      'sudo_wrapper',
      'SudoTransactionExtension',
    ]),
    zeroSized('CheckShieldedTxValidity', ['pallet_shield', 'extension', 'CheckShieldedTxValidity']),
    zeroSized('SubtensorTransactionExtension', [
      'pallet_subtensor',
      'transaction_extension',
      'SubtensorTransactionExtension',
    ]),
    zeroSized('DrandPriority', ['pallet_drand', 'drand_priority', 'DrandPriority']),
    existing('CheckMetadataHash'),
  ];
}

interface RuntimeApiMethodJson {
  name: string;
  inputs: { name: string; type: number }[];
  output: number;
  docs: string[];
}

/** TransactionPaymentApi (what polkadot-js' paymentInfo calls): RuntimeDispatchInfo and FeeDetails. */
function transactionPaymentApi(lookup: LookupBuilder, extrinsicType: number) {
  const u32 = lookup.primitive('U32');
  const balance = lookup.primitive('U64');
  const dispatchInfo = lookup.add(
    {
      composite: {
        fields: [
          field('weight', lookup.byPath('sp_weights::weight_v2::Weight'), 'Weight'),
          field('class', lookup.byPath('frame_support::dispatch::DispatchClass'), 'DispatchClass'),
          field('partial_fee', balance, 'Balance'),
        ],
      },
    },
    ['pallet_transaction_payment', 'types', 'RuntimeDispatchInfo'],
  );
  const inclusionFee = lookup.add(
    {
      composite: {
        fields: ['base_fee', 'len_fee', 'adjusted_weight_fee'].map((name) => field(name, balance, 'Balance')),
      },
    },
    ['pallet_transaction_payment', 'types', 'InclusionFee'],
  );
  const optionalInclusionFee = lookup.add(
    {
      variant: {
        variants: [
          { name: 'None', fields: [], index: 0, docs: [] },
          { name: 'Some', fields: [field(null, inclusionFee)], index: 1, docs: [] },
        ],
      },
    },
    ['Option'],
    [{ name: 'T', type: inclusionFee }],
  );
  const feeDetails = lookup.add(
    {
      composite: { fields: [field('inclusion_fee', optionalInclusionFee, 'Option<InclusionFee<Balance>>')] },
    },
    ['pallet_transaction_payment', 'types', 'FeeDetails'],
  );
  const inputs = [
    { name: 'uxt', type: extrinsicType },
    { name: 'len', type: u32 },
  ];
  return {
    name: 'TransactionPaymentApi',
    docs: [],
    methods: [
      { name: 'query_info', inputs, output: dispatchInfo, docs: ['Weight, class and fee of an extrinsic.'] },
      { name: 'query_fee_details', inputs, output: feeDetails, docs: ['The fee of an extrinsic, in parts.'] },
    ],
  };
}

/** The runtime APIs the devnet answers through state_call; layouts from subtensor's rpc_info. */
function runtimeApis(lookup: LookupBuilder) {
  const u8 = lookup.primitive('U8');
  const u16 = lookup.primitive('U16');
  const u32 = lookup.primitive('U32');
  const u64 = lookup.primitive('U64');
  const bool = lookup.primitive('Bool');
  const account = lookup.byPath('sp_core::crypto::AccountId32');
  const axon = lookup.byPath('pallet_subtensor::pallet::AxonInfo');
  const prometheus = lookup.byPath('pallet_subtensor::pallet::PrometheusInfo');
  const compactU16 = lookup.add({ compact: { type: u16 } });
  const compactU64 = lookup.add({ compact: { type: u64 } });
  const stake = lookup.add({ sequence: { type: lookup.add({ tuple: [account, compactU64] }) } });
  const pairs = lookup.add({ sequence: { type: lookup.add({ tuple: [compactU16, compactU16] }) } });
  const head = [
    field('hotkey', account, 'AccountId'),
    field('coldkey', account, 'AccountId'),
    field('uid', compactU16, 'Compact<u16>'),
    field('netuid', compactU16, 'Compact<NetUid>'),
    field('active', bool, 'bool'),
    field('axon_info', axon, 'AxonInfo'),
    field('prometheus_info', prometheus, 'PrometheusInfo'),
    field('stake', stake, 'Vec<(AccountId, Compact<u64>)>'),
    ...[
      'rank',
      'emission',
      'incentive',
      'consensus',
      'trust',
      'validator_trust',
      'dividends',
      'last_update',
    ].map((name) =>
      name === 'emission' || name === 'last_update'
        ? field(name, compactU64, 'Compact<u64>')
        : field(name, compactU16, 'Compact<u16>'),
    ),
    field('validator_permit', bool, 'bool'),
  ];
  const accountParam = [{ name: 'AccountId', type: account }];
  const neuronLite = lookup.add(
    { composite: { fields: [...head, field('pruning_score', compactU16, 'Compact<u16>')] } },
    ['pallet_subtensor', 'rpc_info', 'neuron_info', 'NeuronInfoLite'],
    accountParam,
  );
  const neuron = lookup.add(
    {
      composite: {
        fields: [
          ...head,
          field('weights', pairs, 'Vec<(Compact<u16>, Compact<u16>)>'),
          field('bonds', pairs, 'Vec<(Compact<u16>, Compact<u16>)>'),
          field('pruning_score', compactU16, 'Compact<u16>'),
        ],
      },
    },
    ['pallet_subtensor', 'rpc_info', 'neuron_info', 'NeuronInfo'],
    accountParam,
  );
  const option = (inner: number) =>
    lookup.add(
      {
        variant: {
          variants: [
            { name: 'None', fields: [], index: 0, docs: [] },
            { name: 'Some', fields: [field(null, inner)], index: 1, docs: [] },
          ],
        },
      },
      ['Option'],
      [{ name: 'T', type: inner }],
    );
  const bytes = lookup.add({ sequence: { type: u8 } });
  const opaque = lookup.add({ composite: { fields: [field(null, bytes, 'Vec<u8>')] } }, [
    'sp_core',
    'OpaqueMetadata',
  ]);
  const method = (
    name: string,
    inputs: [string, number][],
    output: number,
    doc: string,
  ): RuntimeApiMethodJson => ({
    name,
    inputs: inputs.map(([inputName, type]) => ({ name: inputName, type })),
    output,
    docs: [doc],
  });
  return [
    {
      name: 'NeuronInfoRuntimeApi',
      docs: [],
      methods: [
        method(
          'get_neurons_lite',
          [['netuid', u16]],
          lookup.add({ sequence: { type: neuronLite } }),
          'Neurons of a subnet, without weights and bonds.',
        ),
        method(
          'get_neuron_lite',
          [
            ['netuid', u16],
            ['uid', u16],
          ],
          option(neuronLite),
          'One neuron, without weights and bonds.',
        ),
        method(
          'get_neurons',
          [['netuid', u16]],
          lookup.add({ sequence: { type: neuron } }),
          'Neurons of a subnet.',
        ),
        method(
          'get_neuron',
          [
            ['netuid', u16],
            ['uid', u16],
          ],
          option(neuron),
          'One neuron.',
        ),
      ],
    },
    {
      name: 'AccountNonceApi',
      docs: [],
      methods: [method('account_nonce', [['account', account]], u32, 'The nonce of an account.')],
    },
    {
      name: 'Metadata',
      docs: [],
      methods: [
        method('metadata', [], opaque, 'The runtime metadata.'),
        method('metadata_at_version', [['version', u32]], option(opaque), 'The metadata at a version.'),
        method('metadata_versions', [], lookup.add({ sequence: { type: u32 } }), 'The supported versions.'),
      ],
    },
  ];
}

/** MetadataV15's RuntimeError: one variant per pallet with errors, wrapping that pallet's Error enum. */
function runtimeError(v14: MetadataV14Json, lookup: LookupBuilder): number {
  const variants = v14.pallets.flatMap((entry) =>
    entry.errors
      ? [{ name: entry.name, fields: [field(null, entry.errors.type)], index: entry.index, docs: [] }]
      : [],
  );
  return lookup.add({ variant: { variants } }, ['node_subtensor_runtime', 'RuntimeError']);
}

const magicAndVersion15 = new Uint8Array([0x6d, 0x65, 0x74, 0x61, 15]);

/**
 * Upgrades subtensor's v14 metadata (spec 224) to what a current node serves: metadata v15 with runtime APIs
 * (NeuronInfoRuntimeApi, AccountNonceApi, Metadata), current transaction extensions, and
 * commit_timelocked_weights with TimelockedWeightCommits. Returns the SCALE bytes as hex.
 */
export function buildMetadataV15(material: SubtensorMaterial): `0x${string}` {
  const registry = new TypeRegistry();
  const v14 = new Metadata(registry, material.metadata).asV14.toJSON() as unknown as MetadataV14Json;
  const lookup = new LookupBuilder(v14.lookup.types);

  addTimelockedCommits(v14, lookup);
  const signedExtensions = currentTransactionExtensions(v14, lookup);
  const apis = [...runtimeApis(lookup), transactionPaymentApi(lookup, v14.extrinsic.type)];
  const errorType = runtimeError(v14, lookup);

  const extrinsicParams = lookup.get(v14.extrinsic.type).params.map((param) => param.type);
  const [addressType, callType, signatureType] = extrinsicParams;
  if (addressType == null || callType == null || signatureType == null) {
    throw new Error('subtensor metadata: UncheckedExtrinsic has no Address, Call and Signature parameters');
  }
  const system = pallet(v14, 'System');
  const events = system.storage?.items.find((item) => item.name === 'Events');
  if (!events || !('plain' in events.type)) throw new Error('subtensor metadata has no System.Events');
  const eventsDef = lookup.get(events.type.plain).def;
  if (!('sequence' in eventsDef)) throw new Error('System.Events is not a Vec<EventRecord>');
  const recordDef = lookup.get(eventsDef.sequence.type).def;
  const eventField =
    'composite' in recordDef ? recordDef.composite.fields.find((f) => f.name === 'event') : undefined;
  if (!eventField) throw new Error('EventRecord has no event field');

  const v15 = {
    lookup: v14.lookup,
    pallets: v14.pallets.map((entry) => ({ ...entry, docs: [] })),
    extrinsic: {
      version: v14.extrinsic.version,
      addressType,
      callType,
      signatureType,
      extraType: lookup.add({ tuple: signedExtensions.map((ext) => ext.type) }),
      signedExtensions,
    },
    type: v14.type,
    apis,
    outerEnums: { callType, eventType: eventField.type, errorType },
    custom: { map: {} },
  };
  const body = registry.createType('MetadataV15', v15).toU8a();
  return u8aToHex(u8aConcat(magicAndVersion15, body));
}

const built = new Map<string, `0x${string}`>();

/** buildMetadataV15, once per process and material (a few hundred ms the first time). */
export function metadataV15For(material: SubtensorMaterial): `0x${string}` {
  let hex = built.get(material.metadata);
  if (!hex) {
    hex = buildMetadataV15(material);
    built.set(material.metadata, hex);
  }
  return hex;
}

const CACHE_PREFIX = 'subtensor-metadata-v15-';
/** Upgraded metadata files kept in the cache folder (one per build of the code that upgrades it). */
const CACHE_FILES_KEPT = 3;

/**
 * What the upgraded metadata depends on: the v14 metadata and the code that upgrades it (the file this module
 * was loaded from, so a rebuilt devnet upgrades once more).
 */
async function metadataV15Key(material: SubtensorMaterial): Promise<string> {
  const hash = createHash('sha256').update(material.metadata);
  hash.update(await readFile(fileURLToPath(import.meta.url)).catch(() => 'unknown code'));
  return hash.digest('hex').slice(0, 16);
}

/** Writes the file atomically, then removes all but the newest few upgraded metadata files. */
async function storeMetadataV15(cacheDir: string, file: string, hex: string): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const path = join(cacheDir, file);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, hex);
  await rename(partial, path);
  const others = (await readdir(cacheDir)).filter(
    (name) => name.startsWith(CACHE_PREFIX) && name.endsWith('.hex'),
  );
  const dated = await Promise.all(
    others.map(async (name) => ({ name, time: (await stat(join(cacheDir, name))).mtimeMs })),
  );
  dated.sort((a, b) => b.time - a.time);
  await Promise.all(
    dated.slice(CACHE_FILES_KEPT).map(({ name }) => rm(join(cacheDir, name), { force: true })),
  );
}

/**
 * metadataV15For, kept on disk in `cacheDir` (the workspace cache, never committed) in ready-to-serve form: the
 * upgrade takes most of a devnet's start-up, and its result only changes with the metadata or this code.
 */
export async function loadMetadataV15(material: SubtensorMaterial, cacheDir: string): Promise<`0x${string}`> {
  const known = built.get(material.metadata);
  if (known) return known;
  const file = `${CACHE_PREFIX}${await metadataV15Key(material)}.hex`;
  const cached = await readFile(join(cacheDir, file), 'utf8').catch(() => undefined);
  if (cached?.startsWith('0x6d6574610f')) {
    const hex = cached as `0x${string}`;
    built.set(material.metadata, hex);
    return hex;
  }
  const hex = metadataV15For(material);
  // A cache that cannot be written costs the next start the upgrade again, nothing more.
  await storeMetadataV15(cacheDir, file, hex).catch(() => undefined);
  return hex;
}
