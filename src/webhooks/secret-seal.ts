import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { WebhookError } from './errors.js';

/**
 * Webhook signing secrets at rest. A secret must be at hand to sign every notice, so it cannot be
 * hashed like a password; it is encrypted instead (AES-256-GCM), bound to its organisation, so a
 * database dump or a read-only account does not give away what signs the notices, and a sealed
 * secret copied onto another organisation's row does not open there.
 *
 * The key is derived (HKDF-SHA256) from the service's data key, the one that encrypts BSNs
 * (ONTZORG_BSN_KEY, or the embedded mode's key file): one secret to keep and rotate, and a separate
 * key per purpose, so a webhook ciphertext can never be taken for a BSN one or the other way round.
 */
export interface WebhookSecretKey {
  readonly id: string;
  readonly key: Uint8Array;
}

const ENVELOPE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]+)$/;

/** The webhook key of a data key: the same id, so rotating the data key names the webhook key too. */
export function webhookSecretKeyFrom(dataKey: { readonly id: string; readonly key: Uint8Array }): WebhookSecretKey {
  const key = new Uint8Array(hkdfSync('sha256', dataKey.key, new Uint8Array(0), 'ontzorg/webhook-signing-secret/v1', 32));
  return Object.freeze({ id: dataKey.id, key });
}

function additionalData(keyId: string, organisation: string): Buffer {
  return Buffer.from(`webhook-secret/v1/${keyId}/${organisation}`, 'utf8');
}

/** `v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url: what `organisation_webhook.secret_sealed` holds. */
export function sealWebhookSecret(key: WebhookSecretKey, organisation: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(additionalData(key.id, organisation));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', key.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** The secret, or a WebhookError saying why it cannot be read (never what it was). */
export function openWebhookSecret(key: WebhookSecretKey | undefined, organisation: string, sealed: string): string {
  const match = ENVELOPE.exec(sealed);
  if (!match) throw new WebhookError('webhook_secret_unreadable', 'the stored webhook secret is not in the v1 envelope format');
  const [, keyId = '', iv = '', tag = '', ciphertext = ''] = match;
  if (!key) throw new WebhookError('webhook_secret_unreadable', 'the webhook secret is stored encrypted and this service has no data key (ONTZORG_BSN_KEY)');
  if (key.id !== keyId) throw new WebhookError('webhook_secret_unreadable', `the webhook secret was sealed with data key "${keyId}"; this service has "${key.id}": set the secret again`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(additionalData(keyId, organisation));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new WebhookError('webhook_secret_unreadable', 'the webhook secret could not be opened: another key, another organisation\'s row, or altered data; set the secret again');
  }
}
