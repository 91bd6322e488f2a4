import { randomBytes } from 'node:crypto';
import { ProviderError, WebhookSignatureError, type RetryAdvice } from '../errors.js';
import type { AdapterContext } from '../registry.js';
import type { WhatsAppChannelSettings } from '../settings.js';
import { parseMetaWebhook, subscriptionChallenge, verifyMetaSignature } from './meta.js';
import type { SendReceipt, TemplateInfo, WhatsAppPort } from './port.js';

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

/** Delivered, then read, this long apart after a sandbox send (on the server's clock). */
export const STEP_MS = 300;

/**
 * Scripted failures, by the last digits of the recipient's number (README.md lists them): the
 * send itself refused, or accepted and then reported failed, with Meta's codes.
 */
export const SCRIPTED: { ending: string; code: number; reason: string; retry: RetryAdvice; at: 'send' | 'status' }[] = [
  { ending: '0131026', code: 131026, reason: 'Message undeliverable: the number is not on WhatsApp.', retry: 'never', at: 'send' },
  { ending: '0131047', code: 131047, reason: 'Re-engagement message: more than 24 hours have passed since the customer last replied.', retry: 'never', at: 'send' },
  { ending: '0130429', code: 130429, reason: 'Rate limit hit: too many messages sent from this phone number.', retry: 'throttled', at: 'send' },
  { ending: '0131049', code: 131049, reason: 'Meta chose not to deliver this message to keep the ecosystem healthy.', retry: 'never', at: 'status' },
];

// A 1×1 transparent PNG: what every sandbox media id downloads as.
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/**
 * A WhatsApp provider without an account: sends are accepted at once with made-up wamids and
 * report Delivered and Read 300 and 600 ms later (through the feature's status pipeline), some
 * numbers fail as scripted (SCRIPTED), the catalogue is fixed, media ids download as a pixel, and
 * inbound webhooks are Meta's format signed with the channel's app secret. Injected inbound
 * messages are still to come (issue 9). Selectable per channel like any adapter.
 */
export function createSandboxWhatsApp(settings: WhatsAppChannelSettings, ctx: AdapterContext): WhatsAppPort {
  const accept = async (to: string): Promise<SendReceipt> => {
    if (!/^\+?\d{8,15}$/.test(to)) throw new ProviderError(PROVIDER, 131026, `${to} is not a WhatsApp number.`, 'never');
    const scripted = SCRIPTED.find((s) => to.endsWith(s.ending));
    if (scripted?.at === 'send') throw new ProviderError(PROVIDER, scripted.code, scripted.reason, scripted.retry);
    const messageId = `wamid.SANDBOX${randomBytes(12).toString('hex').toUpperCase()}`;
    if (scripted) return { messageId, simulated: [{ status: 'failed', afterMs: STEP_MS, error: { code: scripted.code, reason: scripted.reason } }] };
    return { messageId, simulated: [{ status: 'delivered', afterMs: STEP_MS }, { status: 'read', afterMs: 2 * STEP_MS }] };
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
