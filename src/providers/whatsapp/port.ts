import type { WhatsAppProvider } from '../settings.js';

/**
 * What Wasl needs from a WhatsApp provider, for one channel (its number and credentials are
 * bound in by the registry). Shaped by hatif-api.md §3.3 Send Text, §3.4 Send Template, §6
 * sendFile and §4.2 the WhatsApp Message Webhook, and by issue 9: sends happen in jobs (so every
 * method may be retried after a crash), inbound webhooks arrive as raw bytes with a signature.
 * Failures are `ProviderError` (../errors.ts) with retry advice; nothing here knows HTTP routes.
 */
export interface WhatsAppPort {
  readonly provider: WhatsAppProvider;

  /** Free text (inside the 24-hour window; the caller checks it). */
  sendText(message: { to: string; text: string; previewUrl?: boolean; replyTo?: string }): Promise<SendReceipt>;
  /** An approved template, its components filled as in §3.4 (positional body values, buttons by index). */
  sendTemplate(message: { to: string; name: string; language: string; components: TemplateComponent[] }): Promise<SendReceipt>;
  /** A file by link (sendFile, media headers): the provider fetches `link`, which Wasl serves or has checked. */
  sendMedia(message: { to: string; kind: MediaKind; link: string; caption?: string; filename?: string; replyTo?: string }): Promise<SendReceipt>;
  /** Blue ticks for an inbound message. */
  markRead(messageId: string): Promise<void>;

  /** The channel's templates as the provider knows them (name × language), for the catalogue sync. */
  fetchTemplates(): Promise<TemplateInfo[]>;
  /** The business number as the provider sees it: checks the credentials, fills businessAccountInfo. */
  describeNumber(): Promise<NumberInfo>;

  /**
   * Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
   * the challenge to echo when the token is the channel's, else null (→ 403).
   */
  verifySubscription(query: { mode?: string; verifyToken?: string; challenge?: string }): string | null;
  /**
   * An inbound webhook: `raw` is the exact body bytes, `signature` the `X-Hub-Signature-256`
   * header. Throws WebhookSignatureError unless the signature is the channel's (constant time,
   * before anything is parsed); then every entry/change, messages and statuses alike.
   */
  parseWebhook(raw: Buffer, signature: string | undefined): InboundBatch;
  /** An inbound media file by the provider's id, refused past `maxBytes`. */
  downloadMedia(mediaId: string, limits: { maxBytes: number }): Promise<MediaFile>;
}

/** The provider's message id (Meta's wamid): statuses and replies name it. */
export interface SendReceipt {
  messageId: string;
  /**
   * Only the sandbox: the status callbacks it will "receive" for this message and when, which the
   * feature feeds through the same status pipeline as a real provider's webhooks.
   */
  simulated?: { status: StatusUpdate['status']; afterMs: number; error?: { code: number; reason: string } }[];
}

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export type TemplateValue =
  | { type: 'text'; text: string }
  | { type: 'image' | 'video'; link: string }
  | { type: 'document'; link: string; filename?: string };

export type TemplateComponent =
  | { type: 'header' | 'body'; values: TemplateValue[] }
  | { type: 'button'; subType: 'url' | 'quick_reply'; index: number; values: TemplateValue[] };

export interface TemplateInfo {
  name: string;
  language: string;
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED' | string;
  category: string;
  /** Meta's component definitions as given (HEADER/BODY/FOOTER/BUTTONS with their formats and examples). */
  components: Array<{ type: string; format?: string; text?: string; example?: unknown; buttons?: Array<{ type: string; text: string; url?: string }> }>;
}

export interface NumberInfo {
  phoneNumberId: string;
  displayPhoneNumber: string;
  verifiedName: string | null;
  qualityRating: string | null;
}

export interface InboundBatch {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
}

export interface InboundMessage {
  messageId: string;
  /** The sender's WhatsApp id (digits, no +), and their business-scoped user id when Meta gives one. */
  from: string;
  /** Meta's business-scoped user id (BSUID), when given. */
  userId: string | null;
  profileName: string | null;
  timestamp: Date;
  /** Meta's message type: text, image, video, audio, document, sticker, location, contacts, interactive, button, reaction … */
  type: string;
  text: string | null;
  /** The message it answers (`context.id`). */
  replyTo: string | null;
  /** The message as the provider sent it, for the types a feature reads in detail. */
  raw: unknown;
}

export interface StatusUpdate {
  messageId: string;
  recipient: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: Date;
  billable: boolean | null;
  error: { code: number; reason: string } | null;
}

export interface MediaFile {
  bytes: Buffer;
  mimeType: string;
}
