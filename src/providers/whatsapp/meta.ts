import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderError, WebhookSignatureError } from '../errors.js';
import type { InboundBatch, InboundMessage, StatusUpdate } from './port.js';

/**
 * Meta's WhatsApp wire format, shared by the Cloud API adapter and the sandbox (which speaks it
 * too, so sandbox traffic flows through the same code as real traffic).
 */

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`, compared in constant time. */
export function verifyMetaSignature(raw: Buffer, header: string | undefined, appSecret: string): void {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!match) throw new WebhookSignatureError('X-Hub-Signature-256 is missing or not sha256=<hex>.');
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  if (!timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'))) throw new WebhookSignatureError('X-Hub-Signature-256 does not match the body.');
}

export const metaSignature = (raw: Buffer | string, appSecret: string) => `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;

/** The challenge to echo for a subscription handshake with the right token, else null. */
export function subscriptionChallenge(query: { mode?: string; verifyToken?: string; challenge?: string }, verifyToken: string | undefined): string | null {
  if (!verifyToken || query.mode !== 'subscribe' || query.challenge === undefined || query.verifyToken === undefined) return null;
  const given = Buffer.from(query.verifyToken);
  const wanted = Buffer.from(verifyToken);
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? query.challenge : null;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- Meta's payloads are read defensively, field by field */
const seconds = (value: unknown) => new Date(Number(value) * 1000);

/** Every `entry[].changes[].value` of a webhook body: messages and statuses, in order. */
export function parseMetaWebhook(raw: Buffer, provider: string): InboundBatch {
  let body: any;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ProviderError(provider, 'malformed_webhook', 'The webhook body is not JSON.', 'never');
  }
  const batch: InboundBatch = { messages: [], statuses: [] };
  for (const entry of Array.isArray(body?.entry) ? body.entry : []) {
    for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
      const value = change?.value ?? {};
      const names = new Map<string, string>((value.contacts ?? []).map((c: any) => [String(c?.wa_id), c?.profile?.name ?? null]));
      // The business-scoped user id (BSUID) Meta adds beside, or instead of, the number.
      const userIds = new Map<string, string>((value.contacts ?? []).filter((c: any) => c?.user_id).map((c: any) => [String(c?.wa_id ?? ''), String(c.user_id)]));
      for (const m of value.messages ?? []) batch.messages.push(toMessage(m, names, userIds));
      for (const s of value.statuses ?? []) batch.statuses.push(toStatus(s));
    }
  }
  return batch;
}

function toMessage(m: any, names: Map<string, string>, userIds: Map<string, string>): InboundMessage {
  const from = String(m?.from ?? '');
  return {
    messageId: String(m?.id ?? ''),
    from,
    userId: m?.from_user_id ?? userIds.get(from) ?? null,
    profileName: names.get(from) ?? null,
    timestamp: seconds(m?.timestamp),
    type: String(m?.type ?? 'unknown'),
    text: textOf(m),
    // A reaction answers the message it reacts to.
    replyTo: m?.context?.id ?? (m?.type === 'reaction' ? (m?.reaction?.message_id ?? null) : null),
    raw: m,
  };
}

/** What a person reads in a message, by Meta's type: the body, the tapped button's title, the emoji, the shared cards' names and numbers. */
function textOf(m: any): string | null {
  const reply = m?.interactive?.button_reply ?? m?.interactive?.list_reply ?? m?.interactive?.nfm_reply;
  if (m?.text?.body !== undefined) return String(m.text.body);
  if (m?.button?.text !== undefined) return String(m.button.text);
  if (reply) return String(reply.title ?? reply.body ?? reply.name ?? '');
  if (m?.type === 'reaction') return m?.reaction?.emoji ?? '';
  if (m?.type === 'contacts' && Array.isArray(m.contacts)) {
    return m.contacts
      .map((c: any) => [c?.name?.formatted_name, ...(c?.phones ?? []).map((p: any) => p?.phone)].filter(Boolean).join(' '))
      .join('\n');
  }
  const media = m?.type ? m[m.type] : undefined;
  return typeof media?.caption === 'string' ? media.caption : null;
}

function toStatus(s: any): StatusUpdate {
  const error = s?.errors?.[0];
  return {
    messageId: String(s?.id ?? ''),
    recipient: String(s?.recipient_id ?? ''),
    status: s?.status,
    timestamp: seconds(s?.timestamp),
    billable: typeof s?.pricing?.billable === 'boolean' ? s.pricing.billable : null,
    error: error ? { code: Number(error.code), reason: String(error.error_data?.details ?? error.message ?? error.title ?? '') } : null,
  };
}

// Meta's codes that mean "slow down" (throughput, pair rate, spam rate): retry later, pace the number.
const THROTTLED = new Set([4, 80007, 130429, 131048, 131056]);

/** A Graph API error answer (`{error: {code, message, error_data}}`) or transport status → ProviderError. */
export function graphError(provider: string, status: number, body: any, retryAfterMs?: number): ProviderError {
  const error = body?.error ?? {};
  const code = Number.isInteger(error.code) ? error.code : `http_${status}`;
  const reason = String(error.error_data?.details ?? error.message ?? `HTTP ${status}`);
  const retry = THROTTLED.has(error.code) || status === 429 ? 'throttled' : status >= 500 ? 'later' : 'never';
  return new ProviderError(provider, code, reason, retry, retry === 'throttled' ? (retryAfterMs ?? 60_000) : undefined);
}
/* eslint-enable @typescript-eslint/no-explicit-any */
