import type { ExtDef } from '@polkadot/types/extrinsic/signedExtensions/types';

const zeroSized = { extrinsic: {}, payload: {} };

/**
 * What a polkadot-js client passes as `signedExtensions` to talk to current subtensor (and to the devnet):
 * ChargeTransactionPaymentWrapper carries the Compact tip; the subtensor-specific extensions carry nothing.
 */
export const subtensorSignedExtensions: ExtDef = {
  ChargeTransactionPaymentWrapper: { extrinsic: { tip: 'Compact<Balance>' }, payload: {} },
  SudoTransactionExtension: zeroSized,
  CheckShieldedTxValidity: zeroSized,
  SubtensorTransactionExtension: zeroSized,
  DrandPriority: zeroSized,
};
