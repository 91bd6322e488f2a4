import type { Db } from '../../db/store.js';
import { errors } from '../../lib/errors.js';
import type { MediaKind } from '../../providers/whatsapp/port.js';
import type { Actor } from '../conversations/conversations.service.js';
import type { OutboundMessage, WhatsAppService } from '../whatsapp/whatsapp.service.js';
import type { MetaComponent } from './definition.js';
import { fillAdHoc, fillKnown } from './fill.js';
import type { TemplatesService } from './templates.service.js';
import type { SendTemplateInput } from './templates.schemas.js';

/** The media service's `fetchForSend`: the URL fetched through the SSRF guard, its bytes checked, stored; 4xx AppErrors naming `member`. */
export type FetchMedia = (
  workspaceId: string,
  url: string,
  opts: { kind?: MediaKind; filename?: string; member: string },
) => Promise<{ fileId: string; link: string; mimeType: string; sizeBytes: number; kind: MediaKind }>;

/** A send checked and filled, ready to be queued. */
export interface PreparedTemplate {
  channelId: string;
  toNumber: string;
  message: OutboundMessage;
}

/**
 * Send Template (hatif-api.md §3.4): `prepare` checks the channel, finds the template in the
 * catalogue, fits the parameters to it (422 naming what does not fit) and fetches the caller's
 * media headers — all before anything is written, and outside any transaction (a fetch must not
 * hold one open); `send` then queues it through the WhatsApp send path in the caller's
 * transaction. Templates pass outside the 24-hour window.
 */
export function createTemplateSends(deps: {
  channel: (id: string, trx?: Db) => Promise<{ id: string; workspaceId: string; whatsAppProvider: string | null } | undefined>;
  catalogue: Pick<TemplatesService, 'resolve'>;
  send: WhatsAppService['send'];
  fetchMedia: FetchMedia;
}) {
  return {
    async prepare(workspaceId: string, input: SendTemplateInput): Promise<PreparedTemplate> {
      const channel = await deps.channel(input.channelId);
      if (channel?.workspaceId !== workspaceId) throw errors.notFound('Channel', input.channelId);
      if (!channel.whatsAppProvider) throw errors.channelWithoutWhatsApp(channel.id);
      const known = await deps.catalogue.resolve({ ...channel, whatsAppProvider: channel.whatsAppProvider }, input.templateName, input.language);
      const filled = known
        ? fillKnown({ name: known.name, language: known.language, components: known.components as unknown as MetaComponent[] }, input.parameters)
        : fillAdHoc(input.templateName, input.language, input.parameters);
      for (const f of filled.fetches) {
        const got = await deps.fetchMedia(workspaceId, f.url, { kind: f.kind, member: f.member, ...(f.filename && { filename: f.filename }) });
        f.value.link = got.link;
      }
      return {
        channelId: channel.id,
        toNumber: input.toNumber,
        message: {
          body: filled.body,
          messageType: 'Template',
          content: { kind: 'template', template: { name: known?.name ?? input.templateName, language: known?.language ?? input.language, components: filled.components } },
        },
      };
    },

    /** Queues a prepared send (contact, conversation, Pending event, job, webhook) in `outer` or a new transaction. */
    async send(workspaceId: string, prepared: PreparedTemplate, actor: Actor, outer?: Db) {
      return deps.send(workspaceId, { channelId: prepared.channelId, toNumber: prepared.toNumber }, prepared.message, actor, 'Template message accepted for sending', {}, outer);
    },
  };
}
export type TemplateSends = ReturnType<typeof createTemplateSends>;
