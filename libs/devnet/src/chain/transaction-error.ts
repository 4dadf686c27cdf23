/** JSON-RPC error codes of Substrate's author_* methods. */
export enum TransactionErrorCode {
  BadFormat = 1001,
  InvalidTransaction = 1010,
  AlreadyImported = 1013,
  TooLowPriority = 1014,
}

/** Why the transaction pool refused an extrinsic, in the words a Substrate node uses. */
export class TransactionError extends Error {
  constructor(
    readonly code: TransactionErrorCode,
    /** The JSON-RPC error message, e.g. "Invalid Transaction"; `data` says why. */
    readonly title: string,
    readonly data?: string,
  ) {
    super(data === undefined ? title : `${title}: ${data}`);
    this.name = 'TransactionError';
  }

  /** InvalidTransaction (1010) with the runtime's reason, e.g. "Transaction has a bad signature". */
  static invalid(reason: string): TransactionError {
    return new TransactionError(TransactionErrorCode.InvalidTransaction, 'Invalid Transaction', reason);
  }
}
