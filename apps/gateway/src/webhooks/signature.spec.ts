import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature, webhookSecretFor } from './signature';

describe('webhook signatures', () => {
  const master = 'a-master-secret-of-at-least-32-characters';
  const body = '{"event":"task.completed"}';

  it('derives a different secret per API key from the master secret', () => {
    const secret = webhookSecretFor(master, 'key-1');
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(webhookSecretFor(master, 'key-1')).toBe(secret);
    expect(webhookSecretFor(master, 'key-2')).not.toBe(secret);
    expect(webhookSecretFor(`${master}!`, 'key-1')).not.toBe(secret);
  });

  it('verifies the body it signed, and nothing else', () => {
    const secret = webhookSecretFor(master, 'key-1');
    const header = signWebhook(secret, 1_700_000_000, body);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, 1_700_000_010)).toBe(true);
    expect(verifyWebhookSignature(secret, header, `${body} `, 1_700_000_010)).toBe(false);
    expect(verifyWebhookSignature(webhookSecretFor(master, 'key-2'), header, body, 1_700_000_010)).toBe(
      false,
    );
    expect(
      verifyWebhookSignature(secret, header.replace('t=1700000000', 't=1700000001'), body, 1_700_000_010),
    ).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 1_700_000_000 + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, undefined, body, 1_700_000_000)).toBe(false);
    expect(verifyWebhookSignature(secret, 'v1=zz', body, 1_700_000_000)).toBe(false);
  });
});
