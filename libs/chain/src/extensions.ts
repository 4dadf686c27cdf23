import type { ApiOptions } from '@polkadot/api/types';

/** Transaction extension definitions the client needs for subtensor, keyed by identifier. */
export type SignedExtensionDefinitions = NonNullable<ApiOptions['signedExtensions']>;

const NO_DATA = { extrinsic: {}, payload: {} };

/**
 * Subtensor's transaction extensions that @polkadot/api does not know by name. Current runtimes wrap the
 * payment extension (its tip is still a Compact<Balance> in the extrinsic) and add zero-sized ones; older
 * runtimes (finney before the wrapper, spec 2xx) carry SubtensorSignedExtension / CommitmentsSignedExtension.
 * Unknown identifiers would otherwise be treated as empty, dropping the tip and breaking every signature.
 */
export const SUBTENSOR_SIGNED_EXTENSIONS: SignedExtensionDefinitions = {
  ChargeTransactionPaymentWrapper: { extrinsic: { tip: 'Compact<Balance>' }, payload: {} },
  SudoTransactionExtension: NO_DATA,
  CheckShieldedTxValidity: NO_DATA,
  SubtensorTransactionExtension: NO_DATA,
  DrandPriority: NO_DATA,
  SubtensorSignedExtension: NO_DATA,
  CommitmentsSignedExtension: NO_DATA,
};
