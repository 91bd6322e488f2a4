import type { TSchema } from 'typebox';

/**
 * The OAS 3.1 `webhooks` section: the requests Wasl sends to your URLs. Each kind is one
 * `WebhookDoc`, listed in `WEBHOOKS` of src/openapi.ts; a feature that starts sending one defines
 * it beside its schemas and adds one line there. Its payload lands in `components.schemas` as
 * `<name>Webhook`, and every kind but the envelope itself is also described as the `data` of the
 * workspace events envelope, since the workspace `eventsWebhookUrl` receives every event.
 */
export interface WebhookDoc {
  /** The event type: the key under `webhooks` and the `eventType` of the envelope (e.g. `WhatsAppMessage`). */
  name: string;
  operationId: string;
  summary: string;
  /** Which URL receives it, when it is sent, and which secret signs it. */
  description: string;
  payload: TSchema;
  /** False for kinds that never reach the workspace events URL (the envelope itself, `Test`). */
  inWorkspaceEnvelope?: boolean;
}

export const defineWebhook = (doc: WebhookDoc): WebhookDoc => doc;

const header = (name: string, required: boolean, description: string, example?: string) => ({
  name,
  in: 'header',
  required,
  description,
  schema: { type: 'string', ...(example ? { examples: [example] } : {}) },
});

/** The headers of every attempt (src/features/webhooks/signing.ts; decisions.md "Jobs and webhooks"). */
export const SIGNATURE_HEADERS = [
  header('webhook-id', true, 'The delivery id (Standard Webhooks): the same on every attempt of one delivery, so receivers deduplicate by it.', '0195f7c1-5b0e-7000-8000-3a1a4cb7e7c1'),
  header('webhook-timestamp', true, 'Unix seconds when this attempt was sent; made fresh for each attempt, so reject stale ones (e.g. older than 5 minutes).', '1767225600'),
  header(
    'webhook-signature',
    false,
    'Sent when a secret is set: space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per active secret ' +
      '(two during the 24 h after a secret change). The key is the bytes after `whsec_` (base64) for a `whsec_…` secret, otherwise the secret\'s UTF-8 ' +
      'text: give a Standard Webhooks library `whsec_` + base64(secret).',
    'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  ),
  header(
    'X-Voxa-Signature',
    false,
    "Hatif's scheme, sent when a secret is set: lowercase hex HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 text. Compare in constant time.",
    '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592',
  ),
  header('X-Voxa-Signature-Previous', false, 'During the 24 h after a secret change: `X-Voxa-Signature` made with the previous secret.'),
];

const RESPONSES = {
  '2XX': { description: 'Delivered. The answer body is kept (its first KiB) for the delivery log.' },
  '410': { description: 'Gone: Wasl stops sending to this URL at once, until an operator enables it again.' },
  default: {
    description:
      'Anything else (another status, a redirect — not followed —, or no answer within 15 s) is retried: by default after 5 s, 5 min, 30 min, 2 h, ' +
      '5 h, 10 h and 10 h, or later when the answer carries `Retry-After`. A URL failing for 5 days in a row is disabled.',
  },
};

export const componentName = (doc: Pick<WebhookDoc, 'name'>) => `${doc.name}Webhook`;

/** `webhooks` and the `components.schemas` their payloads reference. */
export function webhooksSection(docs: readonly WebhookDoc[]) {
  const webhooks: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const doc of docs) {
    const name = componentName(doc);
    if (name in schemas) throw new Error(`webhook ${doc.name} is listed twice`);
    schemas[name] = doc.payload;
    webhooks[doc.name] = {
      post: {
        operationId: doc.operationId,
        tags: ['Webhooks'],
        summary: doc.summary,
        description: doc.description,
        // Wasl authenticates itself to the receiver by the signature headers, not by a scheme.
        security: [],
        parameters: SIGNATURE_HEADERS,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } },
        responses: RESPONSES,
      },
    };
  }
  return { webhooks, schemas };
}
