import { Metadata, TypeRegistry } from '@polkadot/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSubtensorMaterial, type SubtensorMaterial } from '../material/material';
import { subtensorSignedExtensions } from './extensions';
import { buildMetadataV15, metadataV15For } from './metadata-v15';

describe('the v15 upgrade of subtensor’s v14 metadata', () => {
  let material: SubtensorMaterial;
  let metadata: Metadata;
  let registry: TypeRegistry;

  beforeAll(async () => {
    material = await loadSubtensorMaterial();
    const started = performance.now();
    const hex = buildMetadataV15(material);
    console.log(
      `metadata v15 built in ${(performance.now() - started).toFixed(0)} ms, ${(hex.length - 2) / 2} bytes`,
    );
    registry = new TypeRegistry();
    metadata = new Metadata(registry, hex);
    registry.setMetadata(metadata, undefined, subtensorSignedExtensions);
  });

  it('is version 15 and keeps every pallet of the original', () => {
    expect(metadata.version).toBe(15);
    const original = new Metadata(new TypeRegistry(), material.metadata);
    expect(metadata.asLatest.pallets.map((pallet) => pallet.name.toString())).toEqual(
      original.asLatest.pallets.map((pallet) => pallet.name.toString()),
    );
  });

  it('declares the runtime APIs the stack calls, with subtensor’s NeuronInfoLite layout', () => {
    const apis = Object.fromEntries(
      metadata.asV15.apis.map((api) => [
        api.name.toString(),
        api.methods.map((method) => method.name.toString()),
      ]),
    );
    expect(apis).toEqual({
      NeuronInfoRuntimeApi: ['get_neurons_lite', 'get_neuron_lite', 'get_neurons', 'get_neuron'],
      AccountNonceApi: ['account_nonce'],
      Metadata: ['metadata', 'metadata_at_version', 'metadata_versions'],
      TransactionPaymentApi: ['query_info', 'query_fee_details'],
    });
    const lite = metadata.asV15.apis[0]!.methods[0]!;
    const vec = registry.lookup.getSiType(lite.output).def.asSequence.type;
    const fields = registry.lookup
      .getSiType(vec)
      .def.asComposite.fields.map((field) => field.name.unwrap().toString());
    expect(fields).toEqual([
      'hotkey',
      'coldkey',
      'uid',
      'netuid',
      'active',
      'axon_info',
      'prometheus_info',
      'stake',
      'rank',
      'emission',
      'incentive',
      'consensus',
      'trust',
      'validator_trust',
      'dividends',
      'last_update',
      'validator_permit',
      'pruning_score',
    ]);
  });

  it('lists current subtensor’s transaction extensions, only the payment wrapper carrying data', () => {
    const extensions = metadata.asV15.extrinsic.signedExtensions;
    expect(extensions.map((ext) => ext.identifier.toString())).toEqual([
      'CheckNonZeroSender',
      'CheckSpecVersion',
      'CheckTxVersion',
      'CheckGenesis',
      'CheckMortality',
      'CheckNonce',
      'CheckWeight',
      'ChargeTransactionPaymentWrapper',
      'SudoTransactionExtension',
      'CheckShieldedTxValidity',
      'SubtensorTransactionExtension',
      'DrandPriority',
      'CheckMetadataHash',
    ]);
    const fieldsOf = (identifier: string) =>
      registry.lookup.getSiType(extensions.find((ext) => ext.identifier.toString() === identifier)!.type).def
        .asComposite.fields.length;
    expect(fieldsOf('ChargeTransactionPaymentWrapper')).toBe(1);
    for (const identifier of [
      'SudoTransactionExtension',
      'CheckShieldedTxValidity',
      'SubtensorTransactionExtension',
    ]) {
      expect(fieldsOf(identifier)).toBe(0);
    }
  });

  it('adds commit_timelocked_weights (call 113) and TimelockedWeightCommits', () => {
    const subtensor = metadata.asLatest.pallets.find(
      (pallet) => pallet.name.toString() === 'SubtensorModule',
    )!;
    const calls = registry.lookup.getSiType(subtensor.calls.unwrap().type).def.asVariant.variants;
    const call = calls.find((variant) => variant.name.toString() === 'commit_timelocked_weights')!;
    expect(call.index.toNumber()).toBe(113);
    expect(call.fields.map((field) => field.name.unwrap().toString())).toEqual([
      'netuid',
      'commit',
      'reveal_round',
      'commit_reveal_version',
    ]);
    const items = subtensor.storage.unwrap().items.map((item) => item.name.toString());
    expect(items).toContain('TimelockedWeightCommits');
  });

  it('is built once per process', () => {
    expect(metadataV15For(material)).toBe(metadataV15For(material));
  });
});
