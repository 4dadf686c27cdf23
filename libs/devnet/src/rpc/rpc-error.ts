/** JSON-RPC 2.0 error codes, plus the Substrate ones the devnet answers with. */
export enum RpcErrorCode {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  /** Substrate state API: the count of a paged query is above the maximum. */
  InvalidCount = 4002,
  /** Substrate state API: the client failed (unknown block, runtime call failed). */
  ClientError = 4003,
}

/** An error the JSON-RPC layer sends back as `{ code, message, data }`. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  static invalidParams(detail: string): RpcError {
    return new RpcError(RpcErrorCode.InvalidParams, 'Invalid params', detail);
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}
