import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { MediaKind } from '../../providers/whatsapp/port.js';
import type { Actor } from '../conversations/conversations.service.js';
import type { CheckedFile, MediaService } from '../media/media.service.js';
import type { OutboundMessage, WhatsAppService } from './whatsapp.service.js';
import type { SendFileBody } from './send-file.schemas.js';

const MESSAGE_TYPE: Record<MediaKind, OutboundMessage['messageType']> = { image: 'Image', video: 'Video', audio: 'Audio', document: 'Document', sticker: 'Sticker' };
/** WhatsApp shows no caption on these; Meta refuses one. */
const NO_CAPTION: readonly MediaKind[] = ['audio', 'sticker'];

/**
 * Send File (§6, `POST /v1/whatsapp/service-account/sendFile`): a free-form message, so inside
 * the 24-hour window like Send Text. In two steps so no transaction waits on the network:
 * `prepare` checks the channel and fetches and checks the file (every refusal a 4xx, nothing
 * written); `send` then writes in one transaction — contact, window, the file (its bytes too, with
 * the database storage), the Pending event with the file's workspace URL as its attachment, the
 * send job with a 24-hour signed link for Meta, and the Pending webhook.
 */
export function createSendFile(deps: {
  transaction: Transaction;
  whatsApp: Pick<WhatsAppService, 'assertChannel' | 'recipient' | 'assertWindowOpen' | 'enqueueSend'>;
  media: Pick<MediaService, 'fetchChecked' | 'save' | 'sendLink' | 'fileUrl'>;
}) {
  const { whatsApp, media } = deps;
  return {
    async prepare(workspaceId: string, input: Static<typeof SendFileBody>): Promise<CheckedFile> {
      await whatsApp.assertChannel(workspaceId, input.channelId);
      return media.fetchChecked(input.fileUrl, { filename: input.fileName ?? null, member: 'fileUrl' });
    },

    async send(workspaceId: string, input: Static<typeof SendFileBody>, file: CheckedFile, actor: Actor, outer?: Db) {
      return deps.transaction(async (trx) => {
        const to = await whatsApp.recipient(trx, workspaceId, input, actor);
        // The open conversation read with the contact settles a recent window without another statement.
        await whatsApp.assertWindowOpen(trx, to, to.conversation ?? undefined);
        const stored = await media.save(trx, workspaceId, file, 'send');
        const link = await media.sendLink(stored.id);
        const caption = NO_CAPTION.includes(file.kind) ? null : (input.caption?.trim() || null);
        return whatsApp.enqueueSend(
          trx,
          to,
          {
            body: caption,
            messageType: MESSAGE_TYPE[file.kind],
            attachment: media.fileUrl(stored.id),
            mimeType: stored.mimeType,
            sizeBytes: stored.sizeBytes,
            fileId: stored.id,
            content: { kind: 'media', media: { kind: file.kind, link, ...(file.kind === 'document' && { filename: stored.fileName }) } },
            ...(input.lastSeenEventId !== undefined && { lastSeenEventId: input.lastSeenEventId }),
          },
          actor,
          'File message accepted for sending',
        );
      }, outer);
    },
  };
}
export type SendFileService = ReturnType<typeof createSendFile>;
