export enum DatabaseErrorCode {
  /** The options given to the factory or the runner cannot work (bad URL, bad schema name). */
  InvalidOptions = 'database_invalid_options',
  /** Nothing answers at the configured host and port. */
  Unreachable = 'database_unreachable',
  /** PostgreSQL answered but refused us: wrong password, unknown role or database. */
  ConnectionRejected = 'database_connection_rejected',
  /** Connecting failed for another reason (TLS, entity metadata, driver). */
  ConnectionFailed = 'database_connection_failed',
  /** The DataSource was used before it was initialized. */
  NotInitialized = 'database_not_initialized',
  /** Another instance held the migration lock for longer than we were willing to wait. */
  LockTimeout = 'database_lock_timeout',
  /** A migration failed; its transaction was rolled back. */
  MigrationFailed = 'database_migration_failed',
  /** A query of the lib's own (schema creation, migration bookkeeping) failed. */
  QueryFailed = 'database_query_failed',
}

export interface DatabaseErrorOptions {
  cause?: unknown;
  /** The migration that failed, for MigrationFailed. */
  migration?: string;
}

/** The error every function of this lib throws; the code says what went wrong, the cause keeps the driver's error. */
export class DatabaseError extends Error {
  readonly migration?: string;

  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
    options: DatabaseErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatabaseError';
    if (options.migration !== undefined) this.migration = options.migration;
  }
}

/** True when an error is a DatabaseError, optionally with the given code. */
export function isDatabaseError(error: unknown, code?: DatabaseErrorCode): error is DatabaseError {
  return error instanceof DatabaseError && (code === undefined || error.code === code);
}

const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** The Node network error code of an error, looking inside AggregateError (dual-stack connects). */
function networkCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as ErrorFields;
  if (typeof fields.code === 'string' && networkErrorCodes.has(fields.code)) return fields.code;
  if (Array.isArray(fields.errors)) {
    for (const inner of fields.errors) {
      const code = networkCode(inner);
      if (code) return code;
    }
  }
  if (typeof fields.message === 'string' && /connection timeout|timeout expired/i.test(fields.message)) {
    return 'ETIMEDOUT';
  }
  return undefined;
}

/** The SQLSTATE of a pg error (or of a TypeORM error wrapping one). */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as ErrorFields).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where a connection URL points, as host:port, without user or password. */
export function describeTarget(url: string | undefined): string {
  if (!url || !URL.canParse(url)) return 'the configured address';
  const parsed = new URL(url);
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  return `${host}:${parsed.port || '5432'}`;
}

/** Removes the URL's password from a text, in case a driver message ever echoes it. */
export function withoutPassword(text: string, url: string | undefined): string {
  if (!url || !URL.canParse(url)) return text;
  const encoded = new URL(url).password;
  if (!encoded) return text;
  let decoded = encoded;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    // a malformed escape: the encoded form is all there is to hide
  }
  return text.split(encoded).join('***').split(decoded).join('***');
}

/** Turns a failure to connect into a DatabaseError whose message names the target and never the password. */
export function connectionError(error: unknown, url: string | undefined): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const target = describeTarget(url);
  const network = networkCode(error);
  if (network) {
    return new DatabaseError(
      DatabaseErrorCode.Unreachable,
      `cannot reach PostgreSQL at ${target} (${network})`,
      {
        cause: error,
      },
    );
  }
  const state = sqlState(error);
  const detail = withoutPassword(errorMessage(error), url);
  // 28xxx: invalid authorization; 3D000: unknown database.
  if (state?.startsWith('28') || state === '3D000') {
    return new DatabaseError(
      DatabaseErrorCode.ConnectionRejected,
      `PostgreSQL at ${target} rejected the connection: ${detail}`,
      { cause: error },
    );
  }
  return new DatabaseError(
    DatabaseErrorCode.ConnectionFailed,
    `cannot connect to PostgreSQL at ${target}: ${detail}`,
    {
      cause: error,
    },
  );
}
