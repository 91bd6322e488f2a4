import type { App } from '../../http/types.js';
import { apiActor } from '../conversations/conversations.service.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { idempotent, IdempotencyHeaders } from '../idempotency/idempotency.http.js';
import { SendResult } from './whatsapp.schemas.js';
import { SendFileBody } from './send-file.schemas.js';
import type { SendFileService } from './send-file.service.js';


/** Send File (§6): its own file so the WhatsApp routes stay one concern each. */
export function sendFileRoutes(app: App, { sendFile, idempotency }: { sendFile: SendFileService; idempotency: IdempotencyService }) {
  app.post(
    '/v1/whatsapp/service-account/sendFile',
    {
      config: { auth: 'bearer', errors: [404, 409, 422] },
      schema: {
        tags: ['WhatsApp'],
        operationId: 'sendFile',
        summary: 'Send File',
        description:
          "A file by URL, inside the 24-hour window after the contact's last message on this channel (else 422 `Voxa:WhatsApp:ServiceWindowExpired`). " +
          'Wasl fetches the file now, through its SSRF guard (public http(s) addresses only; redirects are not followed), reads its type from the bytes and checks Meta\'s limits: ' +
          'image JPEG/PNG ≤ 5 MB, video MP4/3GPP ≤ 16 MB, audio AAC/AMR/MP3/M4A/Ogg-Opus ≤ 16 MB, document PDF/Word/Excel/PowerPoint/plain text (named .txt) ≤ 100 MB, sticker WebP ≤ 500 KB (MEDIA_MAX_BYTES may cap lower). ' +
          'The kind sent follows the type (WebP is a sticker). Every refusal is 422 naming `fileUrl`, with nothing written: `Wasl:File:UrlRefused` (a private, loopback, link-local or metadata address, or not http(s)), ' +
          '`Wasl:File:Unreachable` (no answer, a time-out, or not 200), `Wasl:File:TooLarge`, `Wasl:File:UnsupportedType`. ' +
          'Then as Send Text: answered once queued, the message a timeline event (Pending) whose `attachment` is the file at `GET /v1/files/{id}`; Meta fetches it through a signed link valid 24 hours. ' +
          'A caption is not sent with audio or stickers. With an `Idempotency-Key`, a repeated request fetches the file again before its first answer is replayed.',
        headers: IdempotencyHeaders,
        body: SendFileBody,
        response: { 200: SendResult },
      },
    },
    async (req, reply) => {
      const workspaceId = req.principal.workspaceId;
      // The file is fetched before any transaction: nothing waits on the network with a transaction open.
      const file = await sendFile.prepare(workspaceId, req.body);
      return idempotent(idempotency, req, reply, 'sendFile', (trx) => sendFile.send(workspaceId, req.body, file, apiActor(req), trx));
    },
  );
}
