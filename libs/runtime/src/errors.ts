/** The JSON body of every error answer the stack gives over HTTP. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * An error a lib can throw that the HTTP layer turns into a status and a code. Each lib has its own class with a
 * code enum; implementing this shape is all the exception filter needs.
 */
export interface HttpMappedError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly details?: unknown;
}

/** True when an error carries its own code and HTTP status. */
export function isHttpMappedError(error: unknown): error is HttpMappedError {
  return (
    error instanceof Error &&
    typeof (error as Partial<HttpMappedError>).code === 'string' &&
    typeof (error as Partial<HttpMappedError>).httpStatus === 'number'
  );
}

export enum RequestErrorCode {
  InvalidRequest = 'invalid_request',
  MalformedJson = 'malformed_json',
  BodyTooLarge = 'body_too_large',
  HeadersTooLarge = 'headers_too_large',
  RequestTimeout = 'request_timeout',
  BadHttpRequest = 'bad_http_request',
  InvalidUrl = 'invalid_url',
  UrlTooLong = 'url_too_long',
  UnsupportedMediaType = 'unsupported_media_type',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  Internal = 'internal_error',
}

/** A refused HTTP request: bad input, missing credentials, unknown route. */
export class RequestError extends Error implements HttpMappedError {
  constructor(
    readonly code: RequestErrorCode,
    readonly httpStatus: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** A failure that has been logged where it happened; whoever catches it only decides the exit code. */
export class AlreadyReportedError extends Error {
  constructor(readonly reported: Error) {
    super(reported.message, { cause: reported });
    this.name = 'AlreadyReportedError';
  }
}
