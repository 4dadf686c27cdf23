import { safeEqual } from '@vstack/observability';

/** Whether a request to the queue board carries the admin token. */
export type BoardCredentials = 'ok' | 'missing' | 'invalid';

/**
 * Checks the Authorization header of a queue board request against GATEWAY_ADMIN_TOKEN. Scripts send
 * `Bearer <token>`; a browser sends HTTP Basic with the token as the password (any user name), which it then
 * repeats on the page's own API calls and assets. Both compare in constant time.
 */
export function checkBoardCredentials(
  authorization: string | undefined,
  adminToken: string,
): BoardCredentials {
  if (!authorization?.trim()) return 'missing';
  const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return value && safeEqual(value, adminToken) ? 'ok' : 'invalid';
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const separator = decoded.indexOf(':');
      if (separator < 0) return 'invalid';
      return safeEqual(decoded.slice(separator + 1), adminToken) ? 'ok' : 'invalid';
    }
    default:
      return 'invalid';
  }
}
