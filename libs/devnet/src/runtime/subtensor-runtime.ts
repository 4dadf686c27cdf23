import { Metadata, TypeRegistry } from '@polkadot/types';
import { expandMetadata } from '@polkadot/types/metadata';
import type { DecoratedMeta } from '@polkadot/types/metadata/decorate/types';
import type { StorageEntry } from '@polkadot/types/primitive/types';
import type { Codec } from '@polkadot/types/types';
import { compactStripLength, hexToU8a, stringCamelCase, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';
import type { Hex } from '../chain/state';
import type { SubtensorMaterial } from '../material/material';
import { subtensorSignedExtensions } from '../metadata/extensions';
import { metadataV15For } from '../metadata/metadata-v15';

/** The runtime version the node reports (state_getRuntimeVersion). */
export interface RuntimeVersion {
  specName: string;
  implName: string;
  authoringVersion: number;
  specVersion: number;
  implVersion: number;
  apis: [Hex, number][];
  transactionVersion: number;
  stateVersion: number;
}

const maxRememberedKeys = 100_000;

function argumentId(arg: unknown): string {
  if (arg instanceof Uint8Array) return u8aToHex(arg);
  if (typeof arg === 'string' || typeof arg === 'number' || typeof arg === 'bigint') {
    return `${typeof arg}:${arg}`;
  }
  return JSON.stringify(arg);
}

/** One storage item of the metadata: its keys, and its values decoded and encoded with the metadata's types. */
export class StorageItem {
  readonly optional: boolean;
  private readonly valueType: string;
  private readonly keys = new Map<string, Hex>();
  private readonly fallback: Uint8Array;

  constructor(
    private readonly registry: TypeRegistry,
    private readonly entry: StorageEntry,
  ) {
    const meta = entry.meta;
    this.optional = meta.modifier.isOptional;
    const typeId = meta.type.isPlain ? meta.type.asPlain : meta.type.asMap.value;
    this.valueType = registry.createLookupType(typeId);
    this.fallback = meta.fallback.toU8a(true);
  }

  get name(): string {
    return `${this.entry.section}.${this.entry.method}`;
  }

  /** The full storage key for the given map keys (remembered: hashing through codecs costs ~40 µs a key). */
  key(...args: unknown[]): Hex {
    const id = args.map(argumentId).join('|');
    let key = this.keys.get(id);
    if (key === undefined) {
      // The entry gives the key with a compact length in front, as storage keys travel inside Vec<u8>.
      key = u8aToHex(compactStripLength(this.entry(...args))[1]);
      if (this.keys.size >= maxRememberedKeys) this.keys.clear();
      this.keys.set(id, key);
    }
    return key;
  }

  /** The key prefix of every entry whose first map keys are the given ones (all entries with none). */
  prefix(...args: unknown[]): Hex {
    return u8aToHex(this.entry.keyPrefix(...args));
  }

  /** The stored value: for a Default item the fallback when absent, for an Optional one an Option. */
  decode(hex: Hex | undefined): Codec {
    if (this.optional) {
      return this.registry.createType(
        `Option<${this.valueType}>`,
        hex === undefined ? null : this.registry.createType(this.valueType, hexToU8a(hex)),
      );
    }
    return this.registry.createType(this.valueType, hex === undefined ? this.fallback : hexToU8a(hex));
  }

  /** SCALE bytes (as hex) of a value given in any form the type's codec accepts. */
  encode(value: unknown): Hex {
    return u8aToHex(this.registry.createType(this.valueType, value).toU8a());
  }
}

interface EventLayout {
  prefix: Uint8Array;
  fieldTypes: string[];
}

/** A frame_system Phase: during an extrinsic (by its index in the block), or around them. */
export type EventPhase = { applyExtrinsic: number } | 'finalization' | 'initialization';

/**
 * Subtensor's runtime as far as the devnet needs it: the v15 metadata it serves, a type registry built
 * from it (with the current transaction extensions), storage items, events and module errors by name.
 */
export class SubtensorRuntime {
  readonly version: RuntimeVersion;
  private readonly decorated: DecoratedMeta;
  private readonly items = new Map<string, StorageItem>();
  private readonly events = new Map<string, EventLayout>();

  private constructor(
    readonly material: SubtensorMaterial,
    readonly registry: TypeRegistry,
    readonly metadata: Metadata,
    readonly metadataHex: Hex,
  ) {
    this.decorated = expandMetadata(registry, metadata);
    const apis: [string, number][] = [
      ['Core', 4],
      ['Metadata', 2],
      ['AccountNonceApi', 1],
      ['NeuronInfoRuntimeApi', 1],
      ['TransactionPaymentApi', 4],
    ];
    this.version = {
      specName: material.specName,
      implName: 'vstack-devnet',
      authoringVersion: 1,
      specVersion: material.specVersion,
      implVersion: 1,
      apis: apis.map(([name, version]) => [blake2AsHex(name, 64), version]),
      transactionVersion: material.txVersion,
      stateVersion: 1,
    };
  }

  /** The runtime for some material: built once per process (metadata upgrade, registry), then shared. */
  static async load(material: SubtensorMaterial): Promise<SubtensorRuntime> {
    const cached = loaded.get(material.metadata);
    if (cached) return cached;
    const building = (async () => {
      await cryptoWaitReady();
      const metadataHex = metadataV15For(material);
      const registry = new TypeRegistry();
      const metadata = new Metadata(registry, metadataHex);
      registry.setMetadata(metadata, undefined, subtensorSignedExtensions);
      return new SubtensorRuntime(material, registry, metadata, metadataHex);
    })();
    loaded.set(material.metadata, building);
    building.catch(() => loaded.delete(material.metadata));
    return building;
  }

  /** A storage item by pallet and item name as the metadata spells them, e.g. ('SubtensorModule', 'Weights'). */
  storage(pallet: string, item: string): StorageItem {
    const id = `${pallet}.${item}`;
    let found = this.items.get(id);
    if (!found) {
      const section = this.decorated.query[stringCamelCase(pallet)] ?? {};
      const entry = Object.values(section).find((candidate) => candidate.meta.name.toString() === item);
      if (!entry) throw new Error(`the metadata has no storage item ${id}`);
      found = new StorageItem(this.registry, entry);
      this.items.set(id, found);
    }
    return found;
  }

  private eventLayout(pallet: string, name: string): EventLayout {
    const id = `${pallet}.${name}`;
    let layout = this.events.get(id);
    if (!layout) {
      const palletMeta = this.metadata.asLatest.pallets.find((entry) => entry.name.toString() === pallet);
      if (!palletMeta || palletMeta.events.isNone) {
        throw new Error(`the metadata has no events for ${pallet}`);
      }
      const variants = this.registry.lookup.getSiType(palletMeta.events.unwrap().type).def.asVariant.variants;
      const variant = variants.find((entry) => entry.name.toString() === name);
      if (!variant) throw new Error(`the metadata has no event ${id}`);
      layout = {
        prefix: new Uint8Array([palletMeta.index.toNumber(), variant.index.toNumber()]),
        fieldTypes: variant.fields.map((entry) => this.registry.createLookupType(entry.type)),
      };
      this.events.set(id, layout);
    }
    return layout;
  }

  /** An EventRecord's SCALE bytes: phase, the event (pallet index, variant index, fields), no topics. */
  eventRecord(phase: EventPhase, pallet: string, name: string, args: unknown[]): Uint8Array {
    const layout = this.eventLayout(pallet, name);
    if (args.length !== layout.fieldTypes.length) {
      throw new Error(`${pallet}.${name} takes ${layout.fieldTypes.length} fields, got ${args.length}`);
    }
    const fields = layout.fieldTypes.map((type, index) =>
      this.registry.createType(type, args[index]).toU8a(),
    );
    const phaseBytes =
      phase === 'finalization'
        ? new Uint8Array([1])
        : phase === 'initialization'
          ? new Uint8Array([2])
          : u8aConcat(new Uint8Array([0]), this.registry.createType('u32', phase.applyExtrinsic).toU8a());
    return u8aConcat(phaseBytes, layout.prefix, ...fields, new Uint8Array([0]));
  }

  /** The DispatchError value of a pallet's own error, e.g. ('SubtensorModule', 'SettingWeightsTooFast'). */
  moduleError(pallet: string, name: string): { Module: { index: number; error: Hex } } {
    const palletMeta = this.metadata.asLatest.pallets.find((entry) => entry.name.toString() === pallet);
    if (!palletMeta || palletMeta.errors.isNone) throw new Error(`the metadata has no errors for ${pallet}`);
    const variants = this.registry.lookup.getSiType(palletMeta.errors.unwrap().type).def.asVariant.variants;
    const variant = variants.find((entry) => entry.name.toString() === name);
    if (!variant) throw new Error(`the metadata has no error ${pallet}.${name}`);
    const error = new Uint8Array([variant.index.toNumber(), 0, 0, 0]);
    return { Module: { index: palletMeta.index.toNumber(), error: u8aToHex(error) } };
  }

  /** The type (as a registry type name) a runtime API method returns, from the metadata's apis section. */
  runtimeApiOutput(api: string, method: string): string {
    const found = this.metadata.asV15.apis
      .find((entry) => entry.name.toString() === api)
      ?.methods.find((entry) => entry.name.toString() === method);
    if (!found) throw new Error(`the metadata has no runtime API ${api}.${method}`);
    return this.registry.createLookupType(found.output);
  }
}

const loaded = new Map<string, Promise<SubtensorRuntime>>();
