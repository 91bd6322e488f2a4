import { ProviderError, WebhookSignatureError, transportFailure } from '../errors.js';
import type { OutboundResponse } from '../http/outbound.js';
import type { AdapterContext } from '../registry.js';
import { DEFAULT_GRAPH_URL, type WhatsAppChannelSettings } from '../settings.js';
import { graphError, parseMetaWebhook, subscriptionChallenge, verifyMetaSignature } from './meta.js';
import type { WhatsAppPort } from './port.js';

const PROVIDER = 'whatsapp/cloud';
/** Graph API answers are small JSON; a larger one is not Meta. */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Meta's WhatsApp Cloud API (Graph API), for one channel: `{graphBaseUrl}/{phoneNumberId}/…` with
 * the channel's access token, every request through the guarded outbound client (so the base URL
 * is checked again at each call). Text sends are here; templates, media and mark-as-read are the
 * rest of issue 9, and until then refuse with a permanent ProviderError.
 */
export function createCloudApiWhatsApp(settings: WhatsAppChannelSettings, ctx: AdapterContext): WhatsAppPort {
  const base = (settings.graphBaseUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, '');

  async function graph(method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, unknown>> {
    if (!settings.accessToken) throw new ProviderError(PROVIDER, 'no_credentials', 'The channel has no whatsApp.accessToken.', 'never');
    let res: OutboundResponse;
    try {
      res = await ctx.http.request(method, `${base}/${path}`, {
        headers: { authorization: `Bearer ${settings.accessToken}`, ...(body && { 'content-type': 'application/json' }) },
        ...(body && { body: JSON.stringify(body) }),
        maxBodyBytes: MAX_JSON_BYTES,
        label: 'whatsApp.graphBaseUrl',
      });
    } catch (err) {
      throw transportFailure(PROVIDER, err);
    }
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(res.body?.toString('utf8') || '{}');
    } catch {
      if (res.status < 300) throw new ProviderError(PROVIDER, `http_${res.status}`, 'The Graph API answered something that is not JSON.', 'later');
    }
    if (res.status < 200 || res.status >= 300) {
      const retryAfter = Number(res.headers['retry-after']);
      throw graphError(PROVIDER, res.status, json, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    return json;
  }

  const notYet = (what: string) => async (): Promise<never> => {
    throw new ProviderError(PROVIDER, 'not_implemented', `${what} through the Cloud API is not available yet.`, 'never');
  };

  return {
    provider: 'cloud',
    async sendText(message) {
      const id = encodeURIComponent(settings.phoneNumberId ?? '');
      const answer = await graph('POST', `${id}/messages`, {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: message.to.replace(/^\+/, ''),
        type: 'text',
        text: { body: message.text, preview_url: message.previewUrl ?? false },
        ...(message.replyTo && { context: { message_id: message.replyTo } }),
      });
      const sent = (answer.messages as { id?: unknown }[] | undefined)?.[0]?.id;
      if (typeof sent !== 'string') throw new ProviderError(PROVIDER, 'no_message_id', 'The Graph API accepted the message without a message id.', 'later');
      return { messageId: sent };
    },
    sendTemplate: notYet('Sending templates'),
    sendMedia: notYet('Sending media'),
    markRead: notYet('Marking messages read'),
    fetchTemplates: notYet('Fetching templates'),
    downloadMedia: notYet('Downloading media'),

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
