import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'vstack-signature';

/**
 * The secret an API key's webhooks are signed with: HMAC-SHA256 of the key id under GATEWAY_WEBHOOK_SECRET. Each
 * application can check its own webhooks and no other's, and nothing more needs storing; rotating the master secret
 * rotates every key's.
 */
export function webhookSecretFor(masterSecret: string, apiKeyId: string): string {
  return `whsec_${createHmac('sha256', masterSecret).update(`webhook:${apiKeyId}`).digest('hex')}`;
}

function mac(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/** The signature header of a webhook body sent at `timestampSeconds`. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${mac(secret, timestampSeconds, body)}`;
}

/**
 * What a receiver does: true when the header signs exactly this body with this secret and its timestamp is within
 * `toleranceSeconds` of now (so a captured delivery cannot be replayed later).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (header === undefined) return false;
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const timestamp = Number(parts.get('t'));
  const signature = parts.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(mac(secret, timestamp, body), 'hex'));
}
