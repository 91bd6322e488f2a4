import { randomBytes } from 'node:crypto';
import { Type, type Static } from 'typebox';
import type { Db } from '../../db/store.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { ConversationRow } from '../../db/types.js';
import type { Transaction } from '../../db/transaction.js';
import { Nullable, Uuid } from '../../http/schemas.js';
import type { Clock } from '../../lib/clock.js';
import { ChangeSource, codes, EventDirection, EventSourceType } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { atMostEvery } from '../../lib/throttle.js';
import type { JobContext, JobQueue, JobResult } from '../../jobs/queue.js';
import { ProviderError, WebhookSignatureError } from '../../providers/errors.js';
import type { InboundMessage, MediaFile, MediaKind, WhatsAppPort } from '../../providers/whatsapp/port.js';
import { messageWebhook, STATUS_JOB, type MediaLink, type StatusPayload } from './whatsapp.service.js';
import type { MediaService } from '../media/media.service.js';
import type { WebhookEventsRepo } from './webhook-events.repo.js';
import { newId } from '../../lib/ids.js';
import type { Actor as ContactActor } from '../contacts/contacts.service.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { ConversationEvents } from '../conversations/events.service.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import type { SandboxInboundBody } from './whatsapp.schemas.js';

export const INBOUND_JOB = 'whatsapp.inbound';
export const WEBHOOK_JOB = 'whatsapp.webhook';
/** A webhook Meta posted, signature checked, as received: its job keeps it and queues what is in it. */
export const WebhookPayload = Type.Object({
  /** The id the raw body is kept under: a job run twice keeps it once. */
  id: Uuid,
  channelId: Uuid,
  receivedAt: Type.String({ format: 'date-time' }),
  signature: Type.String({ maxLength: 200 }),
  body: Type.String(),
});
/** How long the raw body of an accepted webhook is kept. */
const RAW_KEEP_MS = 7 * 86_400_000;
/** One inbound message as the provider gave it (Meta's fields, flattened). */
export const InboundPayload = Type.Object({
  channelId: Uuid,
  messageId: Type.String(),
  from: Type.String({ description: "The sender's WhatsApp id: digits with country code." }),
  profileName: Nullable(Type.String()),
  timestamp: Type.String({ format: 'date-time' }),
  type: Type.String({ description: "Meta's message type: text, image, location …" }),
  text: Nullable(Type.String()),
  replyTo: Nullable(Type.String()),
  mediaUrl: Nullable(Type.String()),
  mimeType: Nullable(Type.String()),
  /** The provider's media id (Meta's `image.id` …): the job downloads the file by it. */
  mediaId: Type.Optional(Nullable(Type.String())),
  /** A document's file name, as the sender's phone gave it (display only). */
  fileName: Type.Optional(Nullable(Type.String())),
  /** A file already stored (the sandbox's injection fetched it), and its size. */
  fileId: Type.Optional(Nullable(Uuid)),
  sizeBytes: Type.Optional(Nullable(Type.Integer())),
  location: Nullable(Type.Object({ latitude: Type.Number(), longitude: Type.Number(), name: Nullable(Type.String()), address: Nullable(Type.String()) })),
});
type Inbound = Static<typeof InboundPayload>;

/** Meta's message types as the WhatsApp Message Webhook names them (§4.2). */
const MESSAGE_TYPE: Record<string, string> = {
  text: 'Text',
  image: 'Image',
  video: 'Video',
  audio: 'Audio',
  document: 'Document',
  location: 'Location',
  contacts: 'Contact',
  sticker: 'Sticker',
  interactive: 'Interactive',
  button: 'Interactive',
  reaction: 'Reaction',
  template: 'Template',
};
const MEDIA_KINDS: readonly string[] = ['image', 'video', 'audio', 'document', 'sticker'] satisfies MediaKind[];
/** Sandbox messages that are their text: what each kind's `text` is. */
const TEXT_KINDS_NEED: Record<string, string> = {
  text: 'text',
  interactive: 'the title of the button or list row tapped (text)',
  button: 'the quick-reply button text (text)',
  reaction: 'the emoji (text)',
  contacts: 'the shared card as text, e.g. "Omar Ali +966500000009" (text)',
};
const TEXT_KINDS = Object.keys(TEXT_KINDS_NEED);
const Source = codes(EventSourceType);
const Direction = codes(EventDirection);
/** Contacts made by an inbound message are the system's doing (history source System). */
const INBOUND_ACTOR: ContactActor = { id: null, name: 'WhatsApp', source: codes(ChangeSource).System };

type Emit = (trx: Db, event: { workspaceId: string; channelId?: string; type: EventType; payload: object | (() => Promise<object>) }) => Promise<unknown>;

/**
 * Inbound WhatsApp messages (issue 9 "Receiving"), one `whatsapp.inbound` job each, whoever
 * received them (Meta's webhook, or the sandbox's injection): contact by number (named by the
 * profile), the conversation (a closed one reopened), a timeline event (ReplyTo, Location, media),
 * which renews the 24-hour window and counts as unread, and the WhatsApp Message Webhook
 * (`direction: "Inbound"`). A message already stored (same wamid on the channel) changes nothing.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- Meta's message object, read field by field */
/** A message as the provider parsed it, as the inbound job takes it (media links come with the storage port). */
function fromProvider(channelId: string, m: InboundMessage): Inbound {
  const raw = (m.raw ?? {}) as any;
  const media = raw[m.type] && typeof raw[m.type] === 'object' ? raw[m.type] : null;
  const loc = raw.location;
  return {
    channelId,
    messageId: m.messageId,
    from: m.from,
    profileName: m.profileName,
    timestamp: m.timestamp.toISOString(),
    type: m.type,
    text: m.text ?? (typeof media?.caption === 'string' ? media.caption : null),
    replyTo: m.replyTo,
    mediaUrl: null,
    mimeType: typeof media?.mime_type === 'string' ? media.mime_type : null,
    mediaId: MEDIA_KINDS.includes(m.type) && typeof media?.id === 'string' ? media.id : null,
    fileName: typeof media?.filename === 'string' ? media.filename : null,
    location:
      m.type === 'location' && loc && Number.isFinite(Number(loc.latitude)) && Number.isFinite(Number(loc.longitude))
        ? { latitude: Number(loc.latitude), longitude: Number(loc.longitude), name: loc.name ?? null, address: loc.address ?? null }
        : null,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function createWhatsAppInbound(deps: {
  transaction: Transaction;
  clock: Clock;
  queue: Pick<JobQueue, 'enqueue'>;
  emit: Emit;
  channel: (id: string, trx?: Db) => Promise<{ id: string; workspaceId: string; whatsAppProvider: string | null } | undefined>;
  conversations: Pick<ConversationsService, 'open' | 'contactConversation'>;
  events: ConversationEvents;
  ensureContact: (
    workspaceId: string,
    input: { phoneNumber: string; name?: string | null; member: string; find?: (phone: string) => Promise<{ id: string } | undefined> },
    actor: ContactActor,
    trx: Db,
  ) => Promise<{ id: string; created: boolean }>;
  adapter: (channelId: string) => Promise<WhatsAppPort | undefined>;
  webhookEvents: WebhookEventsRepo;
  /** The store outside any transaction: an accepted webhook is one INSERT on its own. */
  db: Db;
  /** Stores downloaded media and names it (features/media). */
  media: Pick<MediaService, 'save' | 'fileUrl' | 'limitOf' | 'fetchChecked'>;
  /** Webhook links to stored files (`mediaUrl`). */
  mediaLink?: MediaLink;
}) {
  const { transaction, clock, events } = deps;

  /**
   * A media message's file from the provider (Meta: `GET /{media-id}`, then the file with the
   * channel's token), before any transaction. Provider advice decides: `throttled` → again after
   * its delay; `later` (transport, 5xx) → thrown, so the job's backoff retries; `never`, or the
   * job's last attempt → the message is kept without its file (the reason in `data.mediaError`).
   */
  async function download(m: Inbound, ctx?: Pick<JobContext, 'attempt' | 'maxAttempts'>): Promise<MediaFile | { error: string } | { retryAt: Date; reason: string }> {
    const adapter = await deps.adapter(m.channelId);
    if (!adapter) return { error: 'The channel has no WhatsApp provider to download the file from.' };
    const kind = (MEDIA_KINDS.includes(m.type) ? m.type : 'document') as MediaKind;
    try {
      return await adapter.downloadMedia(m.mediaId!, { maxBytes: deps.media.limitOf(kind) });
    } catch (err) {
      const reason = err instanceof ProviderError ? err.reason : (err as Error).message;
      const last = !ctx || ctx.attempt >= ctx.maxAttempts;
      if (last || (err instanceof ProviderError && err.retry === 'never')) return { error: reason };
      if (err instanceof ProviderError && err.retry === 'throttled') return { retryAt: new Date(clock.now().getTime() + (err.retryAfterMs ?? 60_000)), reason };
      throw err;
    }
  }

  /**
   * One inbound message written, in `trx`: the contact by number (a new one named by the profile)
   * read with its conversation on the channel (the open one, else the latest, reopened), the
   * timeline event and the webhook. A wamid already stored makes the event's insert fail.
   */
  async function store(trx: Db, m: Inbound, file: MediaFile | { error: string } | null): Promise<JobResult> {
    const channel = await deps.channel(m.channelId, trx);
    if (!channel) return { giveUp: true, reason: `channel ${m.channelId} is gone` };
    const workspaceId = channel.workspaceId;
    const stored = file && 'bytes' in file ? await deps.media.save(trx, workspaceId, { bytes: file.bytes, mimeType: file.mimeType, fileName: m.fileName ?? null }, 'inbound') : null;
    const fileId = stored?.id ?? m.fileId ?? null;
    let found: ConversationRow | null | undefined;
    const find = async (phone: string) => {
      const pair = await deps.conversations.contactConversation(trx, { workspaceId, channelId: channel.id, phone, reopen: true });
      found = pair?.conversation;
      return pair && { id: pair.contactId };
    };
    const contact = await deps.ensureContact(workspaceId, { phoneNumber: `+${m.from.replace(/^\+/, '')}`, name: m.profileName, member: 'from', find }, INBOUND_ACTOR, trx);
    // Locked (read locked, reopened or made here), so appending need not lock it again; a new contact has none yet.
    const conversation = await deps.conversations.open(trx, { workspaceId, channelId: channel.id, contactId: contact.id, actor: { userId: null, name: null }, reopen: true, lock: true, found: contact.created ? null : found });
    const repliedTo = m.replyTo ? await events.byExternalId(trx, channel.id, m.replyTo) : undefined;
    const { event } = await events.append(
      trx,
      {
        workspaceId,
        conversationId: conversation.id,
        sourceType: Source.WhatsApp,
        direction: Direction.Inbound,
        at: new Date(m.timestamp),
        // The status Hatif's one inbound example carries.
        status: 'Sent',
        body: m.text,
        messageType: MESSAGE_TYPE[m.type] ?? m.type,
        externalId: m.messageId,
        replyToEventId: repliedTo?.id ?? null,
        attachment: fileId ? deps.media.fileUrl(fileId) : m.mediaUrl,
        mimeType: stored?.mimeType ?? m.mimeType,
        sizeBytes: stored?.sizeBytes ?? m.sizeBytes ?? null,
        location: m.location,
        data: { billable: false, ...(fileId && { fileId }), ...(file && 'error' in file && { mediaError: file.error }) },
      },
      undefined,
      conversation,
    );
    // Built (a stored file's link signed) only when a webhook listens.
    await deps.emit(trx, { workspaceId, channelId: channel.id, type: 'WhatsAppMessage', payload: () => messageWebhook(event, deps.mediaLink) });
  }

  /** Raw webhooks older than RAW_KEEP_MS go, at most once a minute per node, as new ones arrive. */
  const purgeRaw = atMostEvery(60_000, (now) => deps.webhookEvents.purge(new Date(now.getTime() - RAW_KEEP_MS)));

  return {
    /**
     * One inbound message (`whatsapp.inbound`). Pass the job's context: a media download that
     * fails is retried while attempts remain; without one, the first failure keeps the message
     * without its file.
     */
    async receive(m: Inbound, ctx?: Pick<JobContext, 'attempt' | 'maxAttempts'>): Promise<JobResult> {
      // A sender Meta names only by their business-scoped user id (a WhatsApp username, no number):
      // a contact needs a number, so the message is set aside (a dead letter naming why), not retried.
      if (!/^\d{6,15}$/.test(m.from)) return { giveUp: true, reason: `message ${m.messageId} has no sender number (from "${m.from}"): senders known only by a business-scoped user id are not stored yet` };
      let file: MediaFile | { error: string } | null = null;
      if (m.mediaId && !m.fileId) {
        // A message already stored is not downloaded again (Meta delivers some twice).
        if (await events.byExternalId(deps.db, m.channelId, m.messageId)) return;
        const got = await download(m, ctx);
        if ('retryAt' in got) return got;
        file = got;
      }
      try {
        return await transaction((trx) => store(trx, m, file));
      } catch (err) {
        // A wamid already stored on the channel (Meta delivers some twice): the unique index refused its
        // event and the transaction wrote nothing — the message changes nothing.
        if (isUniqueViolation(err, 'conversation_events_external')) return;
        throw err;
      }
    },
    /** Meta's subscription handshake: the challenge to echo (200 text/plain), else 404 / 403. */
    async verify(channelId: string, query: { mode?: string; verifyToken?: string; challenge?: string }) {
      const adapter = await deps.adapter(channelId);
      if (!adapter) throw errors.notFound('Channel', channelId);
      const challenge = adapter.verifySubscription(query);
      if (challenge === null) throw errors.verifyTokenRefused();
      return challenge;
    },

    /**
     * A webhook from the provider (`POST /webhooks/whatsapp/{channelId}`): the signature checked
     * over the raw bytes before anything is read (401, nothing stored), the body parsed (400 for
     * junk), then the raw body stored as a `whatsapp.webhook` job in one statement — no transaction —
     * so the answer is quick and a crash loses nothing Meta was told was received; the job keeps the
     * body and queues every message and status (`fanOut`).
     */
    async accept(channelId: string, raw: Buffer, signature: string | undefined) {
      const adapter = await deps.adapter(channelId);
      if (!adapter) throw errors.notFound('Channel', channelId);
      let batch;
      try {
        batch = adapter.parseWebhook(raw, signature);
      } catch (err) {
        if (err instanceof WebhookSignatureError) throw errors.badWebhookSignature(err.message);
        if (err instanceof ProviderError) throw errors.malformedBody(err.reason);
        throw err;
      }
      // One statement before the answer: the raw body, as the job that will keep it and fan it out.
      const payload: Static<typeof WebhookPayload> = { id: newId(), channelId, receivedAt: clock.now().toISOString(), signature: signature ?? '', body: raw.toString('utf8') };
      await deps.queue.enqueue(deps.db, WEBHOOK_JOB, payload);
      return { messages: batch.messages.length, statuses: batch.statuses.length };
    },

    /**
     * The `whatsapp.webhook` job: the raw body kept (`whatsapp_webhook_events`, 7 days, under the id
     * given at the door, so a job run twice keeps it and fans it out once), and every message and status of it
     * queued as its own job, in one transaction. The signature is checked again (the body lay in
     * the queue); a body that no longer verifies (the app secret changed meanwhile) is a dead letter.
     */
    async fanOut(payload: Static<typeof WebhookPayload>): Promise<JobResult> {
      const adapter = await deps.adapter(payload.channelId);
      if (!adapter) return { giveUp: true, reason: `channel ${payload.channelId} has no WhatsApp number any more` };
      const raw = Buffer.from(payload.body, 'utf8');
      let batch;
      try {
        batch = adapter.parseWebhook(raw, payload.signature || undefined);
      } catch (err) {
        if (err instanceof WebhookSignatureError || err instanceof ProviderError) return { giveUp: true, reason: err.message };
        throw err;
      }
      purgeRaw(clock.now());
      const channelId = payload.channelId;
      await transaction(async (trx) => {
        const kept = await deps.webhookEvents.insertOnce({ id: payload.id, channel_id: channelId, received_at: new Date(payload.receivedAt), body: payload.body, messages: batch.messages.length, statuses: batch.statuses.length }, trx);
        if (!kept) return;
        for (const m of batch.messages) {
          await deps.queue.enqueue(trx, INBOUND_JOB, fromProvider(channelId, m), { key: `whatsapp-in:${channelId}:${m.from}` });
        }
        for (const s of batch.statuses) {
          const status: Static<typeof StatusPayload> = {
            channelId,
            messageId: s.messageId,
            status: s.status,
            ...(s.billable !== null && { billable: s.billable }),
            ...(s.error && { errorCode: s.error.code, errorReason: s.error.reason }),
          };
          await deps.queue.enqueue(trx, STATUS_JOB, status);
        }
      });
    },

    /** `POST /admin/v1/sandbox/channels/{id}/inbound`: a message for a sandbox channel, queued as if Meta had delivered it. */
    async inject(channelId: string, input: Static<typeof SandboxInboundBody>) {
      const channel = await deps.channel(channelId);
      if (!channel) throw errors.notFound('Channel', channelId);
      if (channel.whatsAppProvider !== 'sandbox') throw errors.channelNotSandbox(channelId);
      const type = input.type ?? 'text';
      const needs = (ok: boolean, member: string, what: string) => {
        if (!ok) throw errors.invalidField(member, `${member}: a ${type} message needs ${what}.`);
      };
      if (TEXT_KINDS.includes(type)) needs(!!input.text?.trim(), 'text', TEXT_KINDS_NEED[type]!);
      if (type === 'reaction') needs(!!input.replyTo, 'replyTo', 'the wamid of the message it reacts to (replyTo)');
      if (type === 'location') needs(input.latitude !== undefined && input.longitude !== undefined, 'latitude', 'latitude and longitude');
      if (MEDIA_KINDS.includes(type)) needs(!!input.mediaUrl, 'mediaUrl', 'a mediaUrl');
      const from = input.from.replace(/[\s()+-]/g, '');
      if (!/^\d{8,15}$/.test(from)) throw errors.invalidField('from', `from "${input.from}" is not a WhatsApp number (country code and number).`);
      // The customer's file, fetched now as Wasl fetches a file to send (SSRF guard, type from the bytes, Meta's size): a refusal is a 422 at once.
      const media = MEDIA_KINDS.includes(type) && input.mediaUrl ? await deps.media.fetchChecked(input.mediaUrl, { kind: type as MediaKind, member: 'mediaUrl' }) : null;
      const message: Inbound = {
        channelId,
        messageId: `wamid.SANDBOXIN${randomBytes(12).toString('hex').toUpperCase()}`,
        from,
        profileName: input.name ?? null,
        timestamp: clock.now().toISOString(),
        type,
        text: type === 'location' ? null : (input.text ?? null),
        replyTo: input.replyTo ?? null,
        mediaUrl: null,
        mimeType: media?.mimeType ?? null,
        fileName: media?.fileName ?? null,
        location: type === 'location' ? { latitude: input.latitude!, longitude: input.longitude!, name: input.text ?? null, address: null } : null,
      };
      await transaction(async (trx) => {
        if (media) {
          const file = await deps.media.save(trx, channel.workspaceId, media, 'sandbox');
          Object.assign(message, { fileId: file.id, sizeBytes: file.sizeBytes });
        }
        await deps.queue.enqueue(trx, INBOUND_JOB, message, { key: `whatsapp-in:${channelId}:${from}` });
      });
      return { messageId: message.messageId };
    },
  };
}
export type WhatsAppInbound = ReturnType<typeof createWhatsAppInbound>;
