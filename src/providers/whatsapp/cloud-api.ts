import { ProviderError, providerJson, WebhookSignatureError, transportFailure } from '../errors.js';
import type { OutboundResponse } from '../http/outbound.js';
import type { AdapterContext } from '../registry.js';
import { DEFAULT_GRAPH_URL, type WhatsAppChannelSettings } from '../settings.js';
import { graphError, parseMetaWebhook, subscriptionChallenge, verifyMetaSignature } from './meta.js';
import type { SendReceipt, TemplateComponent, TemplateInfo, TemplateValue, WhatsAppPort } from './port.js';

const PROVIDER = 'whatsapp/cloud';
/** Graph API answers are small JSON; a larger one is not Meta. */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Meta's WhatsApp Cloud API (Graph API), for one channel: `{graphBaseUrl}/{phoneNumberId}/…` with
 * the channel's access token, every request through the guarded outbound client (so the base URL
 * is checked again at each call): messages (text, template, media by link, reply context), read
 * marks, the template catalogue, media downloads and the number's description.
 */
export function createCloudApiWhatsApp(settings: WhatsAppChannelSettings, ctx: AdapterContext): WhatsAppPort {
  const base = (settings.graphBaseUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, '');

  async function graph(method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, unknown>> {
    if (!settings.accessToken) throw new ProviderError(PROVIDER, 'no_credentials', 'The channel has no whatsApp.accessToken.', 'never');
    return providerJson(
      ctx.http,
      {
        provider: PROVIDER,
        who: 'The Graph API',
        method,
        url: `${base}/${path}`,
        init: { headers: { authorization: `Bearer ${settings.accessToken}`, ...(body && { 'content-type': 'application/json' }) }, ...(body && { body: JSON.stringify(body) }), maxBodyBytes: MAX_JSON_BYTES, label: 'whatsApp.graphBaseUrl' },
      },
      (res, json) => {
        const retryAfter = Number(res.headers['retry-after']);
        return graphError(PROVIDER, res.status, json, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
      },
    );
  }

  const messages = async (to: string, content: Record<string, unknown>, replyTo?: string): Promise<SendReceipt> => {
    const answer = await graph('POST', `${encodeURIComponent(settings.phoneNumberId ?? '')}/messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: to.replace(/^\+/, ''),
      ...content,
      ...(replyTo && { context: { message_id: replyTo } }),
    });
    const sent = (answer.messages as { id?: unknown }[] | undefined)?.[0]?.id;
    if (typeof sent !== 'string') throw new ProviderError(PROVIDER, 'no_message_id', 'The Graph API accepted the message without a message id.', 'later');
    return { messageId: sent };
  };

  return {
    provider: 'cloud',
    sendText: (message) => messages(message.to, { type: 'text', text: { body: message.text, preview_url: message.previewUrl ?? false } }, message.replyTo),
    sendTemplate: (message) => messages(message.to, { type: 'template', template: { name: message.name, language: { code: message.language }, components: message.components.map(templateComponent) } }),
    sendMedia: (message) =>
      messages(
        message.to,
        {
          type: message.kind,
          // Meta refuses a caption on audio and stickers, and a filename on anything but documents.
          [message.kind]: { link: message.link, ...(message.caption && !['audio', 'sticker'].includes(message.kind) && { caption: message.caption }), ...(message.kind === 'document' && message.filename && { filename: message.filename }) },
        },
        message.replyTo,
      ),
    async markRead(messageId) {
      await graph('POST', `${encodeURIComponent(settings.phoneNumberId ?? '')}/messages`, { messaging_product: 'whatsapp', status: 'read', message_id: messageId });
    },

    /** Every page of `GET /{waba}/message_templates`, following Meta's `after` cursor (at most 50 pages of 100). */
    async fetchTemplates() {
      if (!settings.businessAccountId) throw new ProviderError(PROVIDER, 'no_business_account', 'The channel has no whatsApp.businessAccountId to sync templates from.', 'never');
      const templates: TemplateInfo[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query = new URLSearchParams({ fields: 'name,language,status,category,components', limit: '100', ...(after && { after }) });
        const answer = await graph('GET', `${encodeURIComponent(settings.businessAccountId)}/message_templates?${query}`);
        for (const t of (answer.data as Record<string, unknown>[] | undefined) ?? []) {
          templates.push({ name: String(t.name), language: String(t.language), status: String(t.status), category: String(t.category ?? ''), components: Array.isArray(t.components) ? t.components : [] });
        }
        const paging = answer.paging as { next?: string; cursors?: { after?: string } } | undefined;
        if (!paging?.next || !paging.cursors?.after) break;
        after = paging.cursors.after;
      }
      return templates;
    },

    /** `GET /{media-id}` for its URL and size, then the file with the same token, never past `maxBytes`. */
    async downloadMedia(mediaId, { maxBytes }) {
      const info = await graph('GET', encodeURIComponent(mediaId));
      if (typeof info.url !== 'string') throw new ProviderError(PROVIDER, 'no_media_url', `The Graph API gave no URL for media ${mediaId}.`, 'later');
      if (Number(info.file_size) > maxBytes) throw new ProviderError(PROVIDER, 'too_large', `Media ${mediaId} is ${info.file_size} bytes, over ${maxBytes}.`, 'never');
      let res: OutboundResponse;
      try {
        res = await ctx.http.request('GET', info.url, { headers: { authorization: `Bearer ${settings.accessToken}` }, maxBodyBytes: maxBytes, label: 'WhatsApp media URL' });
      } catch (err) {
        throw transportFailure(PROVIDER, err);
      }
      if (res.status !== 200) throw graphError(PROVIDER, res.status, {});
      const type = String(res.headers['content-type'] ?? info.mime_type ?? 'application/octet-stream').split(';')[0]!.trim();
      return { bytes: res.body ?? Buffer.alloc(0), mimeType: typeof info.mime_type === 'string' ? info.mime_type : type };
    },

    async describeNumber() {
      const id = encodeURIComponent(settings.phoneNumberId ?? '');
      const answer = await graph('GET', `${id}?fields=display_phone_number,verified_name,quality_rating`);
      return {
        phoneNumberId: String(answer.id ?? settings.phoneNumberId),
        displayPhoneNumber: String(answer.display_phone_number ?? ''),
        verifiedName: typeof answer.verified_name === 'string' ? answer.verified_name : null,
        qualityRating: typeof answer.quality_rating === 'string' ? answer.quality_rating : null,
      };
    },

    verifySubscription: (query) => subscriptionChallenge(query, settings.verifyToken),
    parseWebhook(raw, signature) {
      if (!settings.appSecret) throw new WebhookSignatureError('This channel has no whatsApp.appSecret to check signatures with.');
      verifyMetaSignature(raw, signature, settings.appSecret);
      return parseMetaWebhook(raw, PROVIDER);
    },
  };
}

/** One filled component in Meta's `template.components[]` shape. */
function templateComponent(c: TemplateComponent) {
  if (c.type === 'button') {
    // A quick reply's value is the payload echoed back when tapped; a URL button's is the link's suffix.
    return { type: 'button', sub_type: c.subType, index: String(c.index), parameters: c.values.map((v) => (c.subType === 'quick_reply' ? { type: 'payload', payload: v.type === 'text' ? v.text : '' } : templateValue(v))) };
  }
  return { type: c.type, parameters: c.values.map(templateValue) };
}

function templateValue(v: TemplateValue) {
  if (v.type === 'text') return { type: 'text', text: v.text };
  if (v.type === 'document') return { type: 'document', document: { link: v.link, ...(v.filename && { filename: v.filename }) } };
  return { type: v.type, [v.type]: { link: v.link } };
}
