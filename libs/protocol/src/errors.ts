/** What went wrong in the protocol layer. Sent to clients as the `code` of the error body: never rename. */
export enum ProtocolErrorCode {
  /** No task type of that name is registered. */
  UnknownTaskType = 'protocol_unknown_task_type',
  /** Two task types were registered under one name. */
  DuplicateTaskType = 'protocol_duplicate_task_type',
  /** A request does not match its task type's schema (`details.issues` lists why). */
  InvalidRequest = 'protocol_invalid_request',
  /** A stored reference answer does not match its task type's response schema. */
  InvalidReference = 'protocol_invalid_reference',
  /** An argument that cannot work (a non-integer seed, an empty list to pick from, ...). */
  InvalidOptions = 'protocol_invalid_options',
}

const httpStatusOf: Readonly<Record<ProtocolErrorCode, number>> = {
  [ProtocolErrorCode.UnknownTaskType]: 400,
  [ProtocolErrorCode.DuplicateTaskType]: 500,
  [ProtocolErrorCode.InvalidRequest]: 400,
  [ProtocolErrorCode.InvalidReference]: 500,
  [ProtocolErrorCode.InvalidOptions]: 500,
};

/** The error every function of this lib throws; `code` and `httpStatus` are what the HTTP filter maps. */
export class ProtocolError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly details?: { issues: string[] },
  ) {
    super(message);
    this.name = 'ProtocolError';
    this.httpStatus = httpStatusOf[code];
  }
}

/** True when an error is a ProtocolError, optionally with the given code. */
export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  return error instanceof ProtocolError && (code === undefined || error.code === code);
}
