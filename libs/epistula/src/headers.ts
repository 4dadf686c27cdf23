import { EpistulaError, EpistulaErrorCode, type EpistulaSide } from './errors';

/** The protocol version this lib speaks. */
export const EPISTULA_VERSION = '2';

/** Header names as peers spell them (HTTP header names are case-insensitive; Node lower-cases them). */
export const EpistulaHeader = {
  Version: 'Epistula-Version',
  Timestamp: 'Epistula-Timestamp',
  Uuid: 'Epistula-Uuid',
  SignedBy: 'Epistula-Signed-By',
  SignedFor: 'Epistula-Signed-For',
  RequestSignature: 'Epistula-Request-Signature',
  ResponseSignature: 'Epistula-Response-Signature',
} as const;

export type EpistulaHeaderName = (typeof EpistulaHeader)[keyof typeof EpistulaHeader];

/**
 * Headers as a server or client library hands them over: Node/Fastify's lower-cased record (a repeated header
 * arrives as an array) or a fetch `Headers`.
 */
export type EpistulaHeaderSource = Headers | Readonly<Record<string, string | string[] | undefined>>;

const lowerCaseNames = new Map<string, string>(
  Object.values(EpistulaHeader).map((name) => [name, name.toLowerCase()]),
);

function findIgnoringCase(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  lower: string,
): string | string[] | undefined {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === lower) return headers[key];
  }
  return undefined;
}

/** One Epistula header's value, or undefined when absent; a repeated header is refused. */
export function readHeader(
  headers: EpistulaHeaderSource,
  name: EpistulaHeaderName,
  side: EpistulaSide,
): string | undefined {
  const lower = lowerCaseNames.get(name) ?? name.toLowerCase();
  let value: string | string[] | null | undefined;
  if (headers instanceof Headers) {
    value = headers.get(lower);
  } else {
    // Node and Fastify lower-case names; records built by hand may use the peers' spelling.
    value = headers[lower] ?? headers[name] ?? findIgnoringCase(headers, lower);
  }
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value.length === 1) return value[0];
  if (value.length === 0) return undefined;
  throw new EpistulaError(EpistulaErrorCode.DuplicateHeader, `${name} was sent more than once`, {
    header: name,
    side,
  });
}

/** One required Epistula header's value; refuses with `epistula_missing_header` when absent or empty. */
export function requireHeader(
  headers: EpistulaHeaderSource,
  name: EpistulaHeaderName,
  side: EpistulaSide,
): string {
  const value = readHeader(headers, name, side);
  if (value === undefined || value === '') {
    throw new EpistulaError(EpistulaErrorCode.MissingHeader, `the ${name} header is missing`, {
      header: name,
      side,
    });
  }
  return value;
}
