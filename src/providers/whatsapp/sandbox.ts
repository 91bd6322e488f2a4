import { randomBytes } from 'node:crypto';
import { ProviderError, WebhookSignatureError } from '../errors.js';
import type { AdapterContext } from '../registry.js';
import type { WhatsAppChannelSettings } from '../settings.js';
import { parseMetaWebhook, subscriptionChallenge, verifyMetaSignature } from './meta.js';
import type { TemplateInfo, WhatsAppPort } from './port.js';

const PROVIDER = 'whatsapp/sandbox';

/** The catalogue a sandbox channel starts with (the admin API will add more: issue 9). */
export const SANDBOX_TEMPLATES: TemplateInfo[] = [
  { name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello World' }] },
  {
    name: 'order_update',
    language: 'ar',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'مرحبا {{1}}، طلبك {{2}} في الطريق.', example: { body_text: [['أحمد', 'ORD-1']] } }],
  },
];

// A 1×1 transparent PNG: what every sandbox media id downloads as.
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/**
 * A WhatsApp provider without an account: sends are accepted at once with made-up wamids, the
 * catalogue is fixed, media ids download as a pixel, and inbound webhooks are Meta's format
 * signed with the channel's app secret. A stub for now: issue 9 adds statuses over time,
 * scripted failures and injected inbound messages. Selectable per channel like any adapter.
 */
export function createSandboxWhatsApp(settings: WhatsAppChannelSettings, ctx: AdapterContext): WhatsAppPort {
  const accept = async (to: string) => {
    if (!/^\+?\d{8,15}$/.test(to)) throw new ProviderError(PROVIDER, 131026, `${to} is not a WhatsApp number.`, 'never');
    return { messageId: `wamid.SANDBOX${randomBytes(12).toString('hex').toUpperCase()}` };
  };
  return {
    provider: 'sandbox',
    sendText: (message) => accept(message.to),
    sendTemplate: (message) => accept(message.to),
    sendMedia: (message) => accept(message.to),
    markRead: async () => {},
    fetchTemplates: async () => SANDBOX_TEMPLATES,
    describeNumber: async () => ({
      phoneNumberId: settings.phoneNumberId ?? `sandbox-${ctx.channelId}`,
      displayPhoneNumber: ctx.phoneNumber ?? '',
      verifiedName: 'Wasl sandbox',
      qualityRating: 'GREEN',
    }),
    verifySubscription: (query) => subscriptionChallenge(query, settings.verifyToken),
    parseWebhook(raw, signature) {
      if (!settings.appSecret) throw new WebhookSignatureError('This channel has no whatsApp.appSecret to check signatures with.');
      verifyMetaSignature(raw, signature, settings.appSecret);
      return parseMetaWebhook(raw, PROVIDER);
    },
    async downloadMedia(mediaId, { maxBytes }) {
      if (!mediaId.startsWith('sandbox-')) throw new ProviderError(PROVIDER, 131052, `No media ${mediaId}.`, 'never');
      if (PIXEL.length > maxBytes) throw new ProviderError(PROVIDER, 'too_large', `Media ${mediaId} is larger than ${maxBytes} bytes.`, 'never');
      return { bytes: PIXEL, mimeType: 'image/png' };
    },
  };
}
