import { Type, type Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { ConversationEventRow, ConversationRow } from '../../db/types.js';
import { Uuid } from '../../http/schemas.js';
import type { Clock } from '../../lib/clock.js';
import { codes, EventDirection, EventSourceType } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { pace, type JobQueue, type JobContext, type JobResult } from '../../jobs/queue.js';
import { ProviderError } from '../../providers/errors.js';
import type { MediaKind, SendReceipt, TemplateComponent, WhatsAppPort } from '../../providers/whatsapp/port.js';
import { stepsTo, STATUS_OF, type MessageStatus } from './status.js';
import type { Actor as ContactActor } from '../contacts/contacts.service.js';
import type { Actor, ConversationsService } from '../conversations/conversations.service.js';
import type { ConversationEvents, KnownRecipientCheck } from '../conversations/events.service.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import type { SendTextBody } from './whatsapp.schemas.js';
import { createKnownRecipients } from './known-recipients.js';
import { isStaleRecipient } from '../../db/errors.js';
import { toE164 } from '../../lib/phone.js';

export const SEND_JOB = 'whatsapp.send';
export const SendPayload = Type.Object({ workspaceId: Uuid, eventId: Uuid });
export const STATUS_JOB = 'whatsapp.status';
/** One status callback of one message (Meta's, or the sandbox's simulated one). */
export const StatusPayload = Type.Object({
  channelId: Uuid,
  messageId: Type.String(),
  status: Type.Union([Type.Literal('sent'), Type.Literal('delivered'), Type.Literal('read'), Type.Literal('failed')]),
  billable: Type.Optional(Type.Boolean()),
  errorCode: Type.Optional(Type.Integer()),
  errorReason: Type.Optional(Type.String()),
});
/** When a callback for a wamid not stored yet is tried again: the send's commit is usually a moment behind. */
const UNKNOWN_WAMID_RETRY_MS = [1_000, 2_000, 5_000, 10_000];
const WINDOW_MS = 24 * 3_600_000;
const Source = codes(EventSourceType);
const Direction = codes(EventDirection);

/** Where a send goes, once `recipient` has checked it. */
export interface Recipient {
  workspaceId: string;
  channelId: string;
  provider: string;
  contact: { id: string; phoneNumber: string };
  /**
   * The pair's open conversation as `recipient` read it with the contact, locked (null: none);
   * absent when it was not read (`enqueueSend` then finds or makes it).
   */
  conversation?: ConversationRow | null;
}

/** What the send job passes to the adapter besides the event's body: a template or a file by link. */
export type OutboundContent =
  | { kind: 'template'; template: { name: string; language: string; components: TemplateComponent[] } }
  | { kind: 'media'; media: { kind: MediaKind; link: string; filename?: string } };

/** A message to queue: its timeline fields, and for templates and files what the adapter needs. */
export interface OutboundMessage {
  /** The text (a template's rendered body, a file's caption). */
  body: string | null;
  messageType: 'Text' | 'Template' | 'Image' | 'Video' | 'Audio' | 'Document' | 'Sticker';
  attachment?: string | null;
  mimeType?: string | null;
  sizeBytes?: number | null;
  content?: OutboundContent;
  /** A stored file the message carries (features/media): webhooks then give a short-lived signed link to it as `mediaUrl`. */
  fileId?: string;
  /** The reply guard (features/inbox/README.md): the last event its author saw; someone else's reply since → 409, nothing written. */
  lastSeenEventId?: string;
}

type Emit = (trx: Db, event: { workspaceId: string; channelId?: string; type: EventType; payload: object | (() => Promise<object>) }) => Promise<unknown>;

/** Signs a short-lived link to a stored file (features/media `webhookLink`). */
export type MediaLink = (fileId: string) => Promise<string>;

/**
 * The WhatsApp Message Webhook (spec §4.2) for a message event, plus `conversationEventId`
 * (decisions.md). `mediaUrl` is the attachment, or for a stored file (`data.fileId`) the signed link given.
 */
export function messagePayload(e: ConversationEventRow, mediaUrl: string | null = e.attachment) {
  return {
    workspaceId: e.workspace_id,
    channelId: e.channel_id,
    conversationId: e.conversation_id,
    contactId: e.contact_id,
    messageId: e.external_id,
    direction: e.direction === Direction.Inbound ? 'Inbound' : 'Outbound',
    messageType: e.message_type ?? 'Text',
    body: e.body,
    mediaUrl,
    mimeType: e.mime_type,
    status: e.status ?? 'Pending',
    senderUserId: e.owner_user_id,
    latitude: e.location?.latitude ?? null,
    longitude: e.location?.longitude ?? null,
    creationTime: e.creation_time,
    isBillable: (e.data?.billable as boolean | undefined) ?? false,
    errorCode: e.error_code,
    errorReason: e.failure_reason,
    conversationEventId: e.id,
  };
}

/** The webhook payload of a message event, a stored file's `mediaUrl` signed now (receivers fetch it without a token). */
export async function messageWebhook(e: ConversationEventRow, mediaLink?: MediaLink) {
  const fileId = typeof e.data?.fileId === 'string' ? e.data.fileId : null;
  return messagePayload(e, fileId && mediaLink ? await mediaLink(fileId) : e.attachment);
}

/**
 * WhatsApp sends: checked and written at once — contact, conversation, a
 * Pending timeline event, the send job and the Pending webhook in one transaction — then sent by
 * the `whatsapp.send` job through the channel's adapter, one at a time per conversation and paced
 * per business number.
 */
export function createWhatsAppService(deps: {
  transaction: Transaction;
  clock: Clock;
  queue: Pick<JobQueue, 'enqueue' | 'staged'>;
  emit: Emit;
  channel: (id: string, trx?: Db) => Promise<{ id: string; workspaceId: string; whatsAppProvider: string | null } | undefined>;
  adapter: (channelId: string) => Promise<WhatsAppPort | undefined>;
  conversations: Pick<ConversationsService, 'open' | 'lastInboundAt' | 'contactConversation' | 'replyAfter'>;
  events: ConversationEvents;
  ensureContact: (
    workspaceId: string,
    input: { phoneNumber: string; member: string; find?: (phone: string) => Promise<{ id: string } | undefined> },
    actor: ContactActor,
    trx: Db,
  ) => Promise<{ id: string; phoneNumber: string; created: boolean }>;
  contactActor: (actor: Actor) => ContactActor;
  /** The workspace's region for national numbers (as contacts read them). */
  region: (workspaceId: string) => Promise<string>;
  /** Sends per second per business number (WHATSAPP_SENDS_PER_SECOND). */
  sendsPerSecond: number;
  /** Webhook links to stored files (features/media); without it, `mediaUrl` is the attachment as stored. */
  mediaLink?: MediaLink;
}) {
  const { transaction, clock, queue, emit, events } = deps;
  const known = createKnownRecipients();

  async function emitMessage(trx: Db, e: ConversationEventRow) {
    // Built (a stored file's link signed) only when a webhook listens.
    await emit(trx, { workspaceId: e.workspace_id, channelId: e.channel_id, type: 'WhatsAppMessage', payload: () => messageWebhook(e, deps.mediaLink) });
  }

  /** Moves a message to `status` with what the provider said, and tells the channel's webhook. */
  async function settle(e: ConversationEventRow, patch: Parameters<ConversationEvents['update']>[3], receipt?: SendReceipt) {
    await transaction(async (trx) => {
      await emitMessage(trx, await events.update(trx, e.workspace_id, e.id, patch));
      // The sandbox's callbacks, due when it says, go through the same pipeline as Meta's.
      for (const s of receipt?.simulated ?? []) {
        const payload: Static<typeof StatusPayload> = { channelId: e.channel_id, messageId: receipt!.messageId, status: s.status, billable: true, ...(s.error && { errorCode: s.error.code, errorReason: s.error.reason }) };
        await queue.enqueue(trx, STATUS_JOB, payload, { runAt: new Date(clock.now().getTime() + s.afterMs) });
      }
    });
  }

  /** The channel a send names, if it is this workspace's and has WhatsApp (else 404 / 422). */
  async function whatsAppChannel(workspaceId: string, channelId: string, trx?: Db) {
    const channel = await deps.channel(channelId, trx);
    if (channel?.workspaceId !== workspaceId) throw errors.notFound('Channel', channelId);
    if (!channel.whatsAppProvider) throw errors.channelWithoutWhatsApp(channel.id);
    return { ...channel, whatsAppProvider: channel.whatsAppProvider };
  }

  /**
   * The checks every send starts with, in the caller's transaction: the channel (this workspace's,
   * with WhatsApp) and the contact (made when missing, the number read in the workspace region),
   * read with its open conversation on the channel, locked, in one statement.
   */
  async function recipient(trx: Db, workspaceId: string, input: { channelId: string; toNumber: string }, actor: Actor): Promise<Recipient> {
    const channel = await whatsAppChannel(workspaceId, input.channelId, trx);
    let conversation: ConversationRow | null | undefined;
    const find = async (phone: string) => {
      const found = await deps.conversations.contactConversation(trx, { workspaceId, channelId: channel.id, phone });
      conversation = found?.conversation;
      return found && { id: found.contactId };
    };
    const contact = await deps.ensureContact(workspaceId, { phoneNumber: input.toNumber, member: 'toNumber', find }, deps.contactActor(actor), trx);
    // A contact made just now has no conversation yet.
    if (contact.created) conversation = null;
    return { workspaceId, channelId: channel.id, provider: channel.whatsAppProvider, contact: { id: contact.id, phoneNumber: contact.phoneNumber }, conversation };
  }

  /**
   * The rest of every send, in the caller's transaction: the open conversation (locked), the
   * window and reply checks, then `stage`; once it commits, the recipient is known (`sendKnown`).
   */
  async function enqueueSend(trx: Db, to: Recipient, message: OutboundMessage, actor: Actor, answer: string, options: { window?: boolean } = {}) {
    // Locked now (or by `recipient`), so appending the event need not lock it again.
    const conversation = await deps.conversations.open(trx, { workspaceId: to.workspaceId, channelId: to.channelId, contactId: to.contact.id, actor, lock: true, found: to.conversation });
    if (options.window) await assertWindowOpen(trx, to, conversation);
    // Only when asked: a send without the field runs no statement more (sends are benchmarked).
    if (message.lastSeenEventId !== undefined) await assertNoReplySince(trx, to, conversation.id, message.lastSeenEventId, actor);
    transaction.afterCommit(trx, () => known.remember(to.workspaceId, to.channelId, to.contact.phoneNumber, { contactId: to.contact.id, conversationId: conversation.id }));
    return stage(trx, to, conversation, message, actor, answer);
  }

  /**
   * A send to a recipient an earlier send of this process went to (README.md "A known
   * recipient"): nothing is read first. The event's statement updates the conversation only
   * while it is still that contact's open one on the channel (inside the window, for free text);
   * it and the send's other writes go with the COMMIT in one round trip. When the recipient has
   * changed the statement fails, everything rolls back, and the caller goes the long way.
   * Undefined when the recipient is not known (or the number would fail: the long way says why).
   */
  async function sendKnown(workspaceId: string, input: { channelId: string; toNumber: string }, message: OutboundMessage, actor: Actor, answer: string, options: { window?: boolean }) {
    const channel = await whatsAppChannel(workspaceId, input.channelId);
    const phone = toE164(input.toNumber, await deps.region(workspaceId));
    const hint = phone ? known.get(workspaceId, channel.id, phone) : undefined;
    if (!phone || !hint) return undefined;
    const to: Recipient = { workspaceId, channelId: channel.id, provider: channel.whatsAppProvider, contact: { id: hint.contactId, phoneNumber: phone } };
    const inboundAfter = options.window ? new Date(clock.now().getTime() - WINDOW_MS) : null;
    try {
      return await transaction((trx) => stage(trx, to, { id: hint.conversationId, contact_id: hint.contactId, channel_id: channel.id }, message, actor, answer, { phone, inboundAfter }));
    } catch (err) {
      if (!isStaleRecipient(err)) throw err;
      known.forget(workspaceId, channel.id, phone);
      return undefined;
    }
  }

  /**
   * Every send's own rows, in the caller's transaction, for a conversation it holds locked (or,
   * with `check`, one its event's statement checks as it writes): the Pending timeline event (what
   * `deliver` will send kept in `data`), the send job and the Pending webhook; the answer.
   */
  async function stage(
    trx: Db,
    to: Recipient,
    conversation: Pick<ConversationRow, 'id' | 'contact_id' | 'channel_id'>,
    message: OutboundMessage,
    actor: Actor,
    answer: string,
    check?: KnownRecipientCheck,
  ) {
    // The event, its send job and (emit) the stream's record leave with the COMMIT, in one round
    // trip on PostgreSQL (db/README.md): nothing here waits for them, and a failure fails the commit.
    const { event, statement } = events.staged(conversation, {
      workspaceId: to.workspaceId,
      conversationId: conversation.id,
      sourceType: Source.WhatsApp,
      direction: Direction.Outbound,
      at: clock.now(),
      status: 'Pending',
      body: message.body,
      messageType: message.messageType,
      attachment: message.attachment ?? null,
      mimeType: message.mimeType ?? null,
      sizeBytes: message.sizeBytes ?? null,
      ownerUserId: actor.userId,
      handlerName: actor.name,
      data: { to: to.contact.phoneNumber, ...(message.content && { content: message.content }), ...(message.fileId && { fileId: message.fileId }) },
    }, check);
    const job = { workspaceId: to.workspaceId, eventId: event.id } satisfies Static<typeof SendPayload>;
    const jobOptions = {
      key: `whatsapp:${conversation.id}`,
      // Never over the pace in any one-second window (jobs/queue.ts `pace`: 80/s → a slot every 13.1 ms).
      rate: pace(`whatsapp:${to.channelId}`, deps.sendsPerSecond),
    };
    const jobStatement = await queue.staged(trx, SEND_JOB, job, jobOptions);
    await transaction.beforeCommit(trx, () => [statement, jobStatement]);
    await emitMessage(trx, event);
    return { contactId: to.contact.id, conversationId: conversation.id, conversationEventId: event.id, messageId: null, status: 'accepted' as const, message: answer };
  }

  /**
   * The reply guard, on the conversation the send holds locked (so two guarded sends meet in
   * turn): an event not of this contact on this channel → 400 naming `lastSeenEventId`; an
   * outbound message after it by someone else → 409 `Wasl:Conversation:ReplyConflict` naming the
   * newest; thrown in the send's transaction, so nothing is written or queued.
   */
  async function assertNoReplySince(trx: Db, to: Recipient, conversationId: string, seenEventId: string, actor: Actor) {
    const found = await deps.conversations.replyAfter(trx, { workspaceId: to.workspaceId, channelId: to.channelId, contactId: to.contact.id, conversationId, seenEventId: seenEventId.toLowerCase(), sender: actor });
    if (!found.seen) throw errors.invalidField('lastSeenEventId', `lastSeenEventId: ${seenEventId} is not an event of this contact's conversation on this channel.`);
    if (found.reply) throw errors.replyConflict(found.reply);
  }

  /** What the send job hands the adapter for an event, by the content its send kept. */
  function dispatch(adapter: WhatsAppPort, e: ConversationEventRow): Promise<SendReceipt> {
    const to = String(e.data?.to);
    const content = e.data?.content as OutboundContent | undefined;
    if (content?.kind === 'template') return adapter.sendTemplate({ to, ...content.template });
    if (content?.kind === 'media') return adapter.sendMedia({ to, ...content.media, ...(e.body && { caption: e.body }) });
    return adapter.sendText({ to, text: e.body ?? '' });
  }

  /**
   * Free-form messages (text, files) go only inside the 24-hour window: from the contact's last
   * inbound message or call on this channel. Closed or never opened → 422
   * `Voxa:WhatsApp:ServiceWindowExpired`; thrown in the caller's transaction, it writes nothing.
   */
  /**
   * Free-form messages only inside the 24-hour window. The open conversation's own last inbound
   * time settles it when recent (no other conversation of the pair can be later than "open");
   * otherwise every conversation of the contact on the channel is asked.
   */
  async function assertWindowOpen(trx: Db, to: Recipient, open?: { last_inbound_at: Date | null }) {
    const recent = open?.last_inbound_at;
    if (recent && clock.now().getTime() - recent.getTime() < WINDOW_MS) return;
    const lastInbound = await deps.conversations.lastInboundAt(trx, to.workspaceId, to.channelId, to.contact.id);
    if (!lastInbound || clock.now().getTime() - lastInbound.getTime() >= WINDOW_MS) throw errors.serviceWindowExpired(to.contact.phoneNumber, lastInbound);
  }

  /**
   * A send of `message` to `input.toNumber` on `input.channelId`: to a known recipient in one
   * round trip (`sendKnown`), else — or in the caller's transaction `outer`, or with the reply
   * guard — `recipient` then `enqueueSend`. `window`: free text, only inside the 24-hour window.
   */
  async function send(workspaceId: string, input: { channelId: string; toNumber: string }, message: OutboundMessage, actor: Actor, answer: string, options: { window?: boolean } = {}, outer?: Db) {
    const fast = !outer && message.lastSeenEventId === undefined ? await sendKnown(workspaceId, input, message, actor, answer, options) : undefined;
    if (fast) return fast;
    return transaction(async (trx) => enqueueSend(trx, await recipient(trx, workspaceId, input, actor), message, actor, answer, options), outer);
  }

  return {
    recipient,
    enqueueSend,
    send,
    assertWindowOpen,

    /** The channel a send names, if it is this workspace's and has WhatsApp (404 / 422), read before any work. */
    async assertChannel(workspaceId: string, channelId: string) {
      await whatsAppChannel(workspaceId, channelId);
    },

    async sendText(workspaceId: string, input: Static<typeof SendTextBody>, actor: Actor, outer?: Db) {
      // The window is checked on the conversation the send locks: nothing is written when it is closed (the error rolls back).
      const message: OutboundMessage = { body: input.text, messageType: 'Text', ...(input.lastSeenEventId !== undefined && { lastSeenEventId: input.lastSeenEventId }) };
      return send(workspaceId, input, message, actor, 'Text message accepted for sending', { window: true }, outer);
    },

    /**
     * The send job: the message through the channel's adapter, then Sent (with the wamid) or
     * Failed (with the provider's code and reason). A message already past Pending is not sent
     * again. Meta takes no idempotency key: a worker that dies between the provider's answer and
     * the commit sends the message twice when the job runs again (README.md).
     */
    async deliver(payload: Static<typeof SendPayload>, ctx: JobContext): Promise<JobResult> {
      const e = await events.byId(payload.workspaceId, payload.eventId);
      if (!e) return { giveUp: true, reason: `event ${payload.eventId} is gone` };
      if (e.status !== 'Pending') return;
      const adapter = await deps.adapter(e.channel_id);
      if (!adapter) return settle(e, { status: 'Failed', errorCode: null, failureReason: 'The channel has no WhatsApp number any more.' });
      try {
        const receipt = await dispatch(adapter, e);
        await settle(e, { status: 'Sent', externalId: receipt.messageId }, receipt);
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const failed = () => settle(e, { status: 'Failed', errorCode: typeof err.code === 'number' ? err.code : null, failureReason: err.reason });
        if (err.retry === 'never') return failed();
        if (ctx.attempt >= ctx.maxAttempts) return failed();
        if (err.retry === 'throttled') return { retryAt: new Date(clock.now().getTime() + (err.retryAfterMs ?? 60_000)), reason: err.message };
        throw err;
      }
    },

    /**
     * A status callback (`whatsapp.status`): the message moves forward only (status.ts); a real
     * change is written with the provider's billing and error and sent as one WhatsApp Message
     * Webhook; duplicates and late arrivals change nothing. A callback for a wamid not known yet
     * (it can outrun the send's commit) is tried again a few times, then dropped.
     */
    async applyStatus(update: Static<typeof StatusPayload>, ctx: JobContext): Promise<JobResult> {
      return transaction(async (trx) => {
        const known = await events.byExternalId(trx, update.channelId, update.messageId);
        if (!known) {
          const wait = UNKNOWN_WAMID_RETRY_MS[Math.min(ctx.attempt, UNKNOWN_WAMID_RETRY_MS.length) - 1]!;
          return ctx.attempt < ctx.maxAttempts ? { retryAt: new Date(clock.now().getTime() + wait), reason: `no message ${update.messageId} yet` } : undefined;
        }
        // Two callbacks of one message at once: the second decides from what the first wrote.
        const found = await events.locked(trx, known);
        const current = (found.status ?? 'Pending') as MessageStatus;
        // Each step a skipped one implies (Read on a Sent message passes Delivered), written and heard in order.
        for (const step of stepsTo(current, STATUS_OF[update.status])) {
          const changed = await events.update(trx, found.workspace_id, found.id, {
            status: step,
            ...(step === 'Failed' && { errorCode: update.errorCode ?? null, failureReason: update.errorReason ?? null }),
            ...(update.billable !== undefined && { data: { ...found.data, billable: update.billable } }),
          });
          await emitMessage(trx, changed);
        }
      });
    },
  };
}
export type WhatsAppService = ReturnType<typeof createWhatsAppService>;
