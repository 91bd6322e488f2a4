import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Webhook signatures (decisions.md "Outgoing webhooks"):
 * - `X-Voxa-Signature`: lowercase hex HMAC-SHA256 of the raw body, keyed with the secret as text
 *   (Hatif's scheme). During a rotation the previous secret's signature is sent as
 *   `X-Voxa-Signature-Previous`, since this header holds one value.
 * - Standard Webhooks: `webhook-id`, `webhook-timestamp` (seconds, this attempt) and
 *   `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
 *   secret. The key is the secret's bytes: a `whsec_` secret is base64 after its prefix (as
 *   Standard Webhooks issues them); any other secret is its UTF-8 text, which a receiver passes to
 *   a Standard Webhooks library as `whsec_` + base64(secret).
 */
export function standardKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

// A secret's two HMAC keys, made once: turning a string or buffer into a key for every
// signature cost more than the HMACs themselves (≈ 10 µs a delivery, BENCHMARKS.md).
const keys = new Map<string, { voxa: KeyObject; standard: KeyObject }>();
function keysOf(secret: string) {
  let found = keys.get(secret);
  if (!found) {
    if (keys.size >= 1000) keys.clear();
    found = { voxa: createSecretKey(Buffer.from(secret, 'utf8')), standard: createSecretKey(standardKey(secret)) };
    keys.set(secret, found);
  }
  return found;
}

export const voxaSignature = (secret: string, body: string) => createHmac('sha256', keysOf(secret).voxa).update(body, 'utf8').digest('hex');

export const standardSignature = (secret: string, id: string, timestamp: number, body: string) =>
  `v1,${createHmac('sha256', keysOf(secret).standard).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;

/** The headers of one attempt; `secrets` is [current, previous?] and may be empty (unsigned). */
export function signatureHeaders(id: string, body: string, secrets: string[], now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  const [current, previous] = secrets;
  if (current) {
    headers['x-voxa-signature'] = voxaSignature(current, body);
    headers['webhook-signature'] = secrets.map((s) => standardSignature(s, id, timestamp, body)).join(' ');
  }
  if (previous) headers['x-voxa-signature-previous'] = voxaSignature(previous, body);
  return headers;
}
