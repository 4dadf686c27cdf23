/** Codes the client gives to failures that carry no error code from the sidecar. */
export enum SidecarClientErrorCode {
  /** No answer: connection refused or reset, DNS failure, TLS failure. */
  Network = 'network_error',
  /** The client's own per-attempt timeout ran out. */
  ClientTimeout = 'client_timeout',
  /** A success status whose body is not JSON or does not match the API schema. */
  InvalidResponse = 'invalid_response',
  /** An error status whose body is not the API's `{ "error": { "code", "message" } }`. */
  HttpError = 'http_error',
}

export interface SidecarClientErrorInit {
  /** HTTP status of the answer; undefined when there was none (network failure, client timeout). */
  status: number | undefined;
  /** A `SidecarApiErrorCode` from the sidecar, or a `SidecarClientErrorCode`. */
  code: string;
  message: string;
  /** Whether the same request may succeed later (the client retries these). */
  retryable: boolean;
  cause?: unknown;
}

/** A failed call to the sidecar; the subclasses tell the kind of failure apart. */
export class SidecarClientError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly retryable: boolean;

  constructor(init: SidecarClientErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SidecarClientError';
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
  }
}

/** 400 or 422: the request was refused as invalid (`invalid_request`, `invalid_weights`, `invalid_timeout`). */
export class SidecarBadRequestError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarBadRequestError';
  }
}

/** 401: no bearer token, or the sidecar wants one the client does not have. */
export class SidecarUnauthorizedError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarUnauthorizedError';
  }
}

/** 403: the bearer token is wrong. */
export class SidecarForbiddenError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarForbiddenError';
  }
}

/** 404: unknown identity, subnet or block (`identity_not_found`, `subnet_not_found`, `block_not_found`). */
export class SidecarNotFoundError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarNotFoundError';
  }
}

/** 502 or 503: the sidecar cannot answer now (`cache_stale`, `chain_unavailable`). */
export class SidecarUnavailableError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarUnavailableError';
  }
}

/** 504 from the sidecar (`timeout`), or the client's own timeout (`client_timeout`, no status). */
export class SidecarTimeoutError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarTimeoutError';
  }
}

/** A success status with a body that is not JSON or does not match the API schema (`invalid_response`). */
export class SidecarResponseError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarResponseError';
  }
}

/** The request got no answer: connection refused or reset, DNS failure (`network_error`, no status). */
export class SidecarNetworkError extends SidecarClientError {
  constructor(init: SidecarClientErrorInit) {
    super(init);
    this.name = 'SidecarNetworkError';
  }
}

/** The error for an HTTP error status, by status class; statuses 502, 503 and 504 are retryable. */
export function sidecarErrorForStatus(
  status: number,
  code: string,
  message: string,
  cause?: unknown,
): SidecarClientError {
  const init = (retryable: boolean): SidecarClientErrorInit => ({ status, code, message, retryable, cause });
  switch (status) {
    case 400:
    case 422:
      return new SidecarBadRequestError(init(false));
    case 401:
      return new SidecarUnauthorizedError(init(false));
    case 403:
      return new SidecarForbiddenError(init(false));
    case 404:
      return new SidecarNotFoundError(init(false));
    case 502:
    case 503:
      return new SidecarUnavailableError(init(true));
    case 504:
      return new SidecarTimeoutError(init(true));
    default:
      return new SidecarClientError(init(false));
  }
}
