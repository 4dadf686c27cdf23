import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1) {
      if (index > 0) text += ',';
      text += canonicalJson((value[index] as unknown) ?? null);
    }
    return `${text}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // The default sort orders by UTF-16 code units, as comparing the strings with < does.
    const keys = Object.keys(record).sort();
    let text = '{';
    for (const key of keys) {
      const item = record[key];
      if (item === undefined) continue;
      if (text.length > 1) text += ',';
      text += `${JSON.stringify(key)}:${canonicalJson(item)}`;
    }
    return `${text}}`;
  }
  // undefined, functions and symbols have no JSON text.
  return typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol'
    ? 'null'
    : JSON.stringify(value);
}

/** The SHA-256 (hex) of a request's canonical JSON: what an Idempotency-Key is bound to. */
export function requestHash(request: unknown): string {
  return hash('sha256', canonicalJson(request), 'hex');
}

// With the u flag a surrogate pair is one code point outside this range: only lone surrogates match.
const loneSurrogate = /[\uD800-\uDFFF]/u;

function unstorable(text: string): boolean {
  return text.includes('\u0000') || loneSurrogate.test(text);
}

/**
 * The path of the first string (value or key) PostgreSQL cannot store as text or jsonb: one with a NUL character
 * or a lone UTF-16 surrogate. Undefined when every string is storable.
 */
export function unstorableStringPath(value: unknown, path = '(body)', depth = 0): string | undefined {
  if (typeof value === 'string') {
    return unstorable(value) ? path : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorableStringPath(item, `${path}.${index}`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (unstorable(key)) return `${path}.(key)`;
    const found = unstorableStringPath(item, `${path}.${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
