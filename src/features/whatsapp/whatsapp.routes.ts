import { Type } from 'typebox';
import type { App } from '../../http/types.js';
import { apiActor } from '../conversations/conversations.service.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { idempotent, IdempotencyHeaders } from '../idempotency/idempotency.http.js';
import type { WhatsAppService } from './whatsapp.service.js';
import type { WhatsAppInbound } from './inbound.service.js';
import { SandboxInboundBody, SendResult, SendTextBody } from './whatsapp.schemas.js';
import { ErrorEnvelope, Uuid } from '../../http/schemas.js';


export function whatsAppRoutes(app: App, { whatsApp, idempotency }: { whatsApp: WhatsAppService; idempotency: IdempotencyService }) {
  const config = { auth: 'bearer', errors: [404, 409, 422] } as const;
  const tags = ['WhatsApp'];
  app.post(
    '/v1/whatsapp/service-account/sendText',
    {
      config,
      schema: {
        tags,
        operationId: 'sendText',
        summary: 'Send Text',
        description:
          "Free text, inside the 24-hour window after the contact's last message on this channel (else 422 `Voxa:WhatsApp:ServiceWindowExpired`: send a template). " +
          'Answered once the send is queued durably; the contact and conversation are made when missing; the message is a timeline event (Pending) at once, and each status change a WhatsApp Message Webhook.',
        headers: IdempotencyHeaders,
        body: SendTextBody,
        response: { 200: SendResult },
      },
    },
    (req, reply) => idempotent(idempotency, req, reply, 'sendText', (trx) => whatsApp.sendText(req.principal.workspaceId, req.body, apiActor(req), trx)),
  );
}

/** Operator routes of the sandbox (operator.md): a customer's message to a sandbox channel. */
export function whatsAppSandboxRoutes(app: App, { whatsAppInbound }: { whatsAppInbound: WhatsAppInbound }) {
  app.post(
    '/admin/v1/sandbox/channels/:channelId/inbound',
    {
      config: { auth: 'admin', errors: [404, 422] },
      schema: {
        tags: ['Admin: channels'],
        operationId: 'adminSandboxInbound',
        summary: 'A sandbox channel receives a message',
        description:
          'Queued and processed exactly as a message from WhatsApp: contact, conversation (a closed one reopened), timeline event, the 24-hour window, unread count, the WhatsApp Message Webhook (Inbound). 422 unless the channel\'s WhatsApp provider is the sandbox.',
        params: Type.Object({ channelId: Uuid }),
        body: SandboxInboundBody,
        response: { 202: Type.Object({ messageId: Type.String({ description: 'The made-up wamid the message will carry.' }) }) },
      },
    },
    async (req, reply) => reply.code(202).send(await whatsAppInbound.inject(req.params.channelId, req.body)),
  );
}

/** Meta's webhook for a Cloud API (or sandbox) channel: the subscription handshake and the signed events. */
export function whatsAppWebhookRoutes(app: App, { whatsAppInbound }: { whatsAppInbound: WhatsAppInbound }) {
  const tags = ['WhatsApp'];
  const params = Type.Object({ channelId: Uuid });
  app.get(
    '/webhooks/whatsapp/:channelId',
    {
      config: { auth: 'none', caseInsensitive: false, errors: [404] },
      schema: {
        tags,
        operationId: 'whatsAppWebhookVerify',
        summary: "Meta's webhook handshake",
        description: "Meta's subscription check: with `hub.mode=subscribe` and the channel's `verifyToken`, answers `hub.challenge` as text/plain; otherwise 403.",
        params,
        querystring: Type.Object({
          'hub.mode': Type.Optional(Type.String({ maxLength: 50 })),
          'hub.verify_token': Type.Optional(Type.String({ maxLength: 500 })),
          'hub.challenge': Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: {
          200: Type.String({ description: 'hub.challenge, as given.' }),
          403: Type.Object(ErrorEnvelope.properties, { description: 'Not the channel\'s verify token, or hub.mode is not subscribe (`Wasl:Forbidden`).' }),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const challenge = await whatsAppInbound.verify(req.params.channelId, { mode: q['hub.mode'], verifyToken: q['hub.verify_token'], challenge: q['hub.challenge'] });
      return reply.type('text/plain; charset=utf-8').send(challenge);
    },
  );
  app.post(
    '/webhooks/whatsapp/:channelId',
    {
      config: { auth: 'none', caseInsensitive: false, rawBody: true, errors: [404] },
      schema: {
        tags,
        operationId: 'whatsAppWebhook',
        summary: "Meta's webhook (messages and statuses)",
        description:
          "Where Meta posts a channel's messages and statuses. `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the channel's app secret) is checked first: wrong or missing → 401, nothing stored. " +
          'Every message and status is queued for processing before the answer.',
        params,
        response: {
          200: Type.Object({ messages: Type.Integer(), statuses: Type.Integer() }, { description: 'How many messages and statuses were queued.' }),
          401: Type.Object(ErrorEnvelope.properties, { description: 'X-Hub-Signature-256 missing or wrong (`Wasl:Webhook:BadSignature`); nothing was stored.' }),
        },
      },
    },
    (req) => {
      const signature = req.headers['x-hub-signature-256'];
      return whatsAppInbound.accept(req.params.channelId, req.rawBody ?? Buffer.alloc(0), typeof signature === 'string' ? signature : undefined);
    },
  );
}
