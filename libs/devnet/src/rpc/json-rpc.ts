import { TransactionError } from '../chain/transaction-error';
import { DevnetError, DevnetErrorCode, errorMessage } from '../errors';
import { RuntimeCallError } from '../runtime-api/runtime-api';
import type { RpcMethod } from './methods';
import { Params } from './params';
import { RpcError, RpcErrorCode } from './rpc-error';
import type { RpcSession } from './session';

type Id = string | number | null;

interface Response {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns anything a method throws into the JSON-RPC error a node would send. */
function toRpcError(error: unknown, onInternal: (error: unknown) => void): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof TransactionError) return new RpcError(error.code, error.title, error.data);
  if (error instanceof RuntimeCallError) return new RpcError(RpcErrorCode.ClientError, error.message);
  if (error instanceof DevnetError && error.code === DevnetErrorCode.InvalidScenario) {
    return new RpcError(RpcErrorCode.InvalidParams, 'Invalid params', error.message);
  }
  onInternal(error);
  return new RpcError(RpcErrorCode.InternalError, 'Internal error', errorMessage(error));
}

/** JSON-RPC 2.0 over any transport: single requests and batches, notifications (no id) get no response. */
export class JsonRpcHandler {
  constructor(
    private readonly methods: Record<string, RpcMethod>,
    private readonly onInternalError: (error: unknown) => void,
  ) {}

  /** Handles one message as text; returns the text to send back, if any. */
  async handleText(text: string, session: RpcSession): Promise<string | undefined> {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return JSON.stringify(this.failure(null, new RpcError(RpcErrorCode.ParseError, 'Parse error')));
    }
    try {
      const response = await this.handle(payload, session);
      return response === undefined ? undefined : JSON.stringify(response);
    } catch (error) {
      return JSON.stringify(this.failure(null, toRpcError(error, this.onInternalError)));
    }
  }

  /** Handles an already parsed message (an HTTP body). */
  async handle(payload: unknown, session: RpcSession): Promise<Response | Response[] | undefined> {
    if (Array.isArray(payload)) {
      if (payload.length === 0) {
        return this.failure(null, new RpcError(RpcErrorCode.InvalidRequest, 'Invalid request'));
      }
      const responses: Response[] = [];
      for (const request of payload) {
        const response = await this.one(request, session);
        if (response) responses.push(response);
      }
      return responses.length > 0 ? responses : undefined;
    }
    return this.one(payload, session);
  }

  private failure(id: Id, error: RpcError): Response {
    return { jsonrpc: '2.0', id, error: error.toJSON() };
  }

  private async one(request: unknown, session: RpcSession): Promise<Response | undefined> {
    if (!isRecord(request) || request['jsonrpc'] !== '2.0' || typeof request['method'] !== 'string') {
      return this.failure(null, new RpcError(RpcErrorCode.InvalidRequest, 'Invalid request'));
    }
    const rawId = request['id'];
    const isNotification = !('id' in request);
    const id: Id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
    const method = request['method'];
    try {
      const handler = this.methods[method];
      if (!handler) throw new RpcError(RpcErrorCode.MethodNotFound, 'Method not found', method);
      const params = request['params'] ?? [];
      if (!Array.isArray(params)) throw RpcError.invalidParams(`${method}: parameters must be a list`);
      const result: unknown = await handler(new Params(method, params), session);
      return isNotification ? undefined : { jsonrpc: '2.0', id, result: result ?? null };
    } catch (error) {
      return isNotification ? undefined : this.failure(id, toRpcError(error, this.onInternalError));
    }
  }
}
