import { Type } from 'typebox';
import type { App } from '../../http/types.js';
import { apiActor } from '../conversations/conversations.service.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import type { WhatsAppService } from './whatsapp.service.js';
import type { WhatsAppInbound } from './inbound.service.js';
import { SandboxInboundBody, SendResult, SendTextBody } from './whatsapp.schemas.js';
import { Uuid } from '../../http/schemas.js';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Beyond Hatif: the same key and body within 24 hours answer the first answer again (with `Idempotent-Replayed: true`) and send nothing; ' +
        'the same key with another body → 422; while the first is still running → 409. Per workspace.',
      examples: ['5f1c2a7e-3f0b-4c1e-9d1a-7b2e8c4d9f10'],
    }),
  ),
});

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
    async (req, reply) => {
      const workspaceId = req.principal.workspaceId;
      const key = req.headers['idempotency-key'] ?? null;
      const { result, replayed } = await idempotency.run(workspaceId, key, { route: 'sendText', body: req.body }, (trx) => whatsApp.sendText(workspaceId, req.body, apiActor(req), trx));
      if (replayed) reply.header('idempotent-replayed', 'true');
      return result;
    },
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
