import type { App } from '../../http/types.js';
import { apiActor } from '../conversations/conversations.service.js';
import type { WhatsAppService } from './whatsapp.service.js';
import { SendResult, SendTextBody } from './whatsapp.schemas.js';

export function whatsAppRoutes(app: App, { whatsApp }: { whatsApp: WhatsAppService }) {
  const config = { auth: 'bearer', errors: [404, 422] } as const;
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
        body: SendTextBody,
        response: { 200: SendResult },
      },
    },
    (req) => whatsApp.sendText(req.principal.workspaceId, req.body, apiActor(req)),
  );
}
