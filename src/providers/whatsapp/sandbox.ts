import { randomBytes } from 'node:crypto';
import { ProviderError, WebhookSignatureError, type RetryAdvice } from '../errors.js';
import type { AdapterContext } from '../registry.js';
import type { WhatsAppChannelSettings } from '../settings.js';
import { parseMetaWebhook, subscriptionChallenge, verifyMetaSignature } from './meta.js';
import type { SendReceipt, TemplateInfo, WhatsAppPort } from './port.js';

const PROVIDER = 'whatsapp/sandbox';

/**
 * The catalogue a sandbox channel starts with (features/templates seeds it the first time the
 * channel's catalogue is read or a send names a template; the admin API adds more). Meta's
 * definition shape, one template for each parameter form of hatif-api.md §3.4.
 */
export const SANDBOX_TEMPLATES: TemplateInfo[] = definitions([
  { name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello World' }] },
  {
    name: 'order_update',
    language: 'ar',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'مرحبا {{1}}، طلبك {{2}} في الطريق.', example: { body_text: [['أحمد', 'ORD-1']] } }],
  },
  {
    // Image header + body variables + a URL button with a dynamic suffix.
    name: 'order_shipped',
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://sandbox.wasl.invalid/examples/parcel.png'] } },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.', example: { body_text: [['Sara', 'ORD-5123']] } },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track order', url: 'https://example.com/orders/{{1}}', example: ['https://example.com/orders/ORD-5123'] }] },
    ],
  },
  {
    // Document header (with a filename) + body + a URL button (index 0) and a quick reply (index 1): §3.4's own example.
    name: 'invoice_delivery',
    language: 'ar',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'DOCUMENT', example: { header_handle: ['https://sandbox.wasl.invalid/examples/invoice.pdf'] } },
      { type: 'BODY', text: 'مرحبا {{1}}، فاتورتك بمبلغ {{2}} مرفقة.', example: { body_text: [['أحمد', '1,250.00 SAR']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'عرض الفاتورة', url: 'https://example.com/invoices/{{1}}', example: ['https://example.com/invoices/INV-2026-001'] },
          { type: 'QUICK_REPLY', text: 'تم الدفع' },
        ],
      },
    ],
  },
  {
    // Video header (no example: the caller must give the video) + body.
    name: 'product_launch',
    language: 'en',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'VIDEO' },
      { type: 'BODY', text: 'Meet {{1}}: available from {{2}}.', example: { body_text: [['Wasl One', 'March 1']] } },
    ],
  },
  {
    // Text header with a variable + body + footer + quick replies and a phone button (static).
    name: 'appointment_reminder',
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Reminder for {{1}}', example: { header_text: ['Sara'] } },
      { type: 'BODY', text: 'Your appointment is on {{1}} at {{2}}.', example: { body_text: [['12 March', '10:30']] } },
      { type: 'FOOTER', text: 'Wasl Clinic' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirm' },
          { type: 'QUICK_REPLY', text: 'Reschedule' },
          { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+966500000000' },
        ],
      },
    ],
  },
]);

/** Meta's button definitions carry more than the port names (examples, phone numbers): checked here, widened there. */
type MetaButton = { type: string; text: string; url?: string; phone_number?: string; example?: string[] };
type Definition = Omit<TemplateInfo, 'components'> & { components: Array<Omit<TemplateInfo['components'][number], 'buttons'> & { buttons?: MetaButton[] }> };
function definitions(list: Definition[]): TemplateInfo[] {
  return list;
}

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
 * numbers fail as scripted (SCRIPTED), the catalogue is SANDBOX_TEMPLATES, media ids download as a pixel, and
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
