import type { Updateable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { AiSummary, Assignation, ConversationEventRow, ConversationRow, EventLocation, NewConversationEvent } from '../../db/types.js';
import type { Clock } from '../../lib/clock.js';
import { codes, ConversationStatus, EventDirection, EventSourceType } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { isUniqueViolation } from '../../db/errors.js';
import { newId } from '../../lib/ids.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import type { ConversationsRepo, KnownRecipientCheck, NewEventRow } from './conversations.repo.js';

export const Status = codes(ConversationStatus);
export const Source = codes(EventSourceType);
export const Direction = codes(EventDirection);

/** Call statuses that mean the customer was answered (an inbound call in any other is "lost"). */
const ANSWERED = new Set(['answered', 'completed']);
const PREVIEW_CHARS = 200;

/** The first 200 UTF-16 units of a body, without half of a character cut at the end (an emoji would become U+FFFD). */
const preview = (body: string) => body.slice(0, PREVIEW_CHARS).replace(/[\uD800-\uDBFF]$/, '');

/** What a producer (WhatsApp, voice, the conversation's own actions) says about a new event. */
export interface NewEvent {
  /** The event's id when the caller needs it before the event is written (a job naming it sent beside it); new otherwise. */
  id?: string;
  workspaceId: string;
  conversationId: string;
  sourceType: number;
  direction: number;
  /** When it happened; now when absent. */
  at?: Date;
  status?: string | null;
  errorCode?: number | null;
  failureReason?: string | null;
  isAi?: boolean;
  attachment?: string | null;
  ownerUserId?: string | null;
  aiAgentId?: string | null;
  durationSeconds?: number | null;
  sizeBytes?: number | null;
  ringingSeconds?: number | null;
  body?: string | null;
  handlerName?: string | null;
  messageType?: string | null;
  mimeType?: string | null;
  externalId?: string | null;
  sourceId?: string | null;
  aiSummary?: AiSummary | null;
  replyToEventId?: string | null;
  location?: EventLocation | null;
  assignation?: Assignation | null;
  data?: Record<string, unknown> | null;
}

/** What may change on an event after it happened (a message's status, a call's end, its AI summary). */
export type EventPatch = Partial<Pick<NewEvent, 'status' | 'errorCode' | 'failureReason' | 'externalId' | 'durationSeconds' | 'ringingSeconds' | 'sizeBytes' | 'aiSummary' | 'attachment' | 'body' | 'data' | 'handlerName' | 'ownerUserId'>>;

const customerFacing = (sourceType: number) => sourceType === Source.Call || sourceType === Source.WhatsApp;

/** What the summary rule (conversations.repo.ts APPEND) needs to know of an event beyond its columns. */
const factsOf = (row: { source_type: number; direction: number; status: string | null; body: string | null }) => ({
  customerFacing: customerFacing(row.source_type),
  inboundCustomer: customerFacing(row.source_type) && row.direction === Direction.Inbound,
  lost: lost(row),
  preview: row.body === null ? null : preview(row.body),
});

/** Whether a customer event leaves the conversation waiting on the business. */
const lost = (e: { source_type: number; direction: number; status: string | null }) =>
  e.direction === Direction.Inbound && !(e.source_type === Source.Call && ANSWERED.has((e.status ?? '').toLowerCase()));

function columns(p: EventPatch): Updateable<NewConversationEvent> {
  const out: Updateable<NewConversationEvent> = {};
  if (p.status !== undefined) out.status = p.status;
  if (p.errorCode !== undefined) out.error_code = p.errorCode;
  if (p.failureReason !== undefined) out.failure_reason = p.failureReason;
  if (p.externalId !== undefined) out.external_id = p.externalId;
  if (p.durationSeconds !== undefined) out.duration_seconds = p.durationSeconds;
  if (p.ringingSeconds !== undefined) out.ringing_seconds = p.ringingSeconds;
  if (p.sizeBytes !== undefined) out.size_bytes = p.sizeBytes;
  if (p.aiSummary !== undefined) out.ai_summary = p.aiSummary;
  if (p.attachment !== undefined) out.attachment = p.attachment;
  if (p.body !== undefined) out.body = p.body;
  if (p.data !== undefined) out.data = p.data;
  if (p.handlerName !== undefined) out.handler_name = p.handlerName;
  if (p.ownerUserId !== undefined) out.owner_user_id = p.ownerUserId;
  return out;
}

type Emit = (trx: Db, event: { workspaceId: string; channelId?: string; type: EventType; payload: object }) => Promise<unknown>;

/**
 * The one way anything lands in a conversation's timeline. `append` runs in the caller's
 * transaction: it locks the conversation, writes the event and, together with it, the
 * conversation's `lastActivityAt`, `LastEvent*`, counts, unread number, lost flag and 24-hour
 * window start; an inbound customer event reopens a closed conversation.
 */
export function createConversationEvents(deps: { repo: ConversationsRepo; clock: Clock; emit: Emit }) {
  const { repo, clock, emit } = deps;

  /** The row of a new event (every column but the thread's, which have defaults, and the contact and channel, which the conversation gives). */
  function rowOf(e: NewEvent, at: Date): NewEventRow {
    return {
      id: e.id ?? newId(),
      workspace_id: e.workspaceId,
      conversation_id: e.conversationId,
      source_type: e.sourceType,
      source_id: e.sourceId ?? null,
      direction: e.direction,
      creation_time: at,
      status: e.status ?? null,
      error_code: e.errorCode ?? null,
      failure_reason: e.failureReason ?? null,
      is_ai: e.isAi ?? false,
      attachment: e.attachment ?? null,
      owner_user_id: e.ownerUserId ?? null,
      ai_agent_id: e.aiAgentId ?? null,
      duration_seconds: e.durationSeconds ?? null,
      size_bytes: e.sizeBytes ?? null,
      ringing_seconds: e.ringingSeconds ?? null,
      body: e.body ?? null,
      handler_name: e.handlerName ?? null,
      message_type: e.messageType ?? null,
      mime_type: e.mimeType ?? null,
      external_id: e.externalId ?? null,
      ai_summary: e.aiSummary ?? null,
      reply_to_event_id: e.replyToEventId ?? null,
      location: e.location ?? null,
      assignation: e.assignation ?? null,
      data: e.data ?? null,
      thread_id: null,
      last_modification_time: null,
    };
  }

  const customerEventAfter = (e: Pick<ConversationEventRow, 'conversation_id' | 'creation_time' | 'id'>, trx: Db) => repo.eventAfter(e.conversation_id, e.creation_time, e.id, [Source.Call, Source.WhatsApp], trx);

  /**
   * The event's row and the conversation's summary in one statement (conversations.repo.ts
   * `appendEvent`: the summary rule is SQL over the row's current values). The conversation is
   * locked first only when an inbound customer event may have to reopen it.
   */
  async function write(trx: Db, e: NewEvent, actor: { userId: string | null; name: string | null } | undefined, locked: ConversationRow | undefined, returning: 'conversation' | 'id') {
    const at = e.at ?? clock.now();
    const facing = customerFacing(e.sourceType);
    if (facing && e.direction === Direction.Inbound) {
      const c = locked?.id === e.conversationId ? locked : await repo.lock(e.workspaceId, e.conversationId, trx);
      if (!c) throw errors.notFound('Conversation', e.conversationId);
      if (c.status === Status.Closed) await events.setStatus(trx, c, Status.Open, { userId: null, name: actor?.name ?? null }, at, 'reopen-if-free');
    }
    const row = rowOf(e, at);
    const facts = factsOf(row);
    const conversation = await repo.appendEvent(row, facts, trx, returning);
    if (!conversation) throw errors.notFound('Conversation', e.conversationId);
    const event: ConversationEventRow = { ...row, contact_id: conversation.contact_id, channel_id: conversation.channel_id, thread_resolved: false, thread_message_count: 0 };
    return { event, conversation };
  }

  const events = {
    /**
     * An event to write with the transaction's COMMIT (`transaction.beforeCommit`), for a caller
     * that holds the conversation's row locked and needs nothing back from the write: the event as
     * it will be stored, and its statement (a conversation gone fails it, and so the commit). Not
     * for an inbound customer event, which may have to reopen the conversation first (`append`).
     * `known`: the caller holds no lock but knows the conversation from an earlier send; the
     * statement checks it as it writes, and fails with STALE_RECIPIENT when it is not so (repo).
     */
    staged(c: Pick<ConversationRow, 'contact_id' | 'channel_id'>, e: NewEvent, known?: KnownRecipientCheck) {
      if (customerFacing(e.sourceType) && e.direction === Direction.Inbound) throw new Error('staged: an inbound customer event goes through append');
      const row = rowOf(e, e.at ?? clock.now());
      const facts = factsOf(row);
      const event: ConversationEventRow = { ...row, contact_id: c.contact_id, channel_id: c.channel_id, thread_resolved: false, thread_message_count: 0 };
      return { event, statement: repo.appendEventStatement(event, facts, known) };
    },

    /**
     * Appends an event in the caller's transaction; answers the event. `locked`: the conversation's
     * row as the caller locked it in this transaction (an inbound event then need not lock it again).
     */
    async append(trx: Db, e: NewEvent, actor?: { userId: string | null; name: string | null }, locked?: ConversationRow) {
      const { event } = await write(trx, e, actor, locked, 'id');
      return { event };
    },

    /** `append`, answering the conversation after the event too. */
    appendAndRead: (trx: Db, e: NewEvent, actor?: { userId: string | null; name: string | null }, locked?: ConversationRow) => write(trx, e, actor, locked, 'conversation'),

    /** One event of the workspace, or undefined (a plain read: no transaction needed). */
    byId: (workspaceId: string, eventId: string, trx?: Db) => repo.findEvent(workspaceId, eventId, trx),

    /**
     * The event read again after locking its conversation (what `update` locks): a caller that
     * decides from the event's state (a status moving forward) sees the last committed one.
     */
    async locked(trx: Db, event: ConversationEventRow) {
      await repo.lock(event.workspace_id, event.conversation_id, trx);
      return (await repo.findEvent(event.workspace_id, event.id, trx))!;
    },

    /** The event a provider's id names on a channel (a WhatsApp wamid in a status callback, a call id). */
    byExternalId: (trx: Db, channelId: string, externalId: string) => repo.findEventByExternalId(channelId, externalId, trx),

    /**
     * Changes an event (a message's status, a call's outcome); when it is the conversation's last
     * event, its `LastEventStatus` and lost flag follow.
     */
    async update(trx: Db, workspaceId: string, eventId: string, patch: EventPatch) {
      const found = await repo.findEvent(workspaceId, eventId, trx);
      if (!found) throw errors.notFound('ConversationEvent', eventId);
      const c = await repo.lock(workspaceId, found.conversation_id, trx);
      const event = await repo.updateEvent(workspaceId, eventId, { ...columns(patch), last_modification_time: clock.now() }, trx);
      if (!c) return event;
      const isLast = c.last_event_id === eventId;
      const changes: Updateable<ConversationRow> = isLast ? { last_event_status: event.status } : {};
      // The lost flag follows the last customer event, which need not be the last event (a call assigned while it rang).
      if (customerFacing(event.source_type) && (isLast || !(await customerEventAfter(event, trx)))) changes.is_lost = lost(event);
      if (Object.keys(changes).length) await repo.update(workspaceId, c.id, changes, trx);
      return event;
    },

    /**
     * Opens or closes, with a StatusChange event and the `ConversationStatusChanged` event.
     * `reopen-if-free` leaves it closed (quietly) when another conversation is open for the pair.
     */
    async setStatus(trx: Db, c: ConversationRow, status: number, actor: { userId: string | null; name: string | null }, at: Date, mode: 'strict' | 'reopen-if-free' = 'strict') {
      if (c.status === status) return c;
      if (status === Status.Open) {
        const open = await repo.findOpen(c.workspace_id, c.channel_id, c.contact_id, trx);
        if (open) {
          if (mode === 'reopen-if-free') return c;
          throw errors.conversationAlreadyOpen(c.id, open.id);
        }
      }
      const updated = await repo.update(c.workspace_id, c.id, { status, closed_at: status === Status.Closed ? at : null }, trx).catch((err: unknown) => {
        // Another one opened for the pair since the check above (the transaction is lost either way).
        if (isUniqueViolation(err, 'conversations_open')) throw errors.conversationAlreadyOpen(c.id, '(another)');
        throw err;
      });
      const { conversation: final } = await write(trx, { workspaceId: c.workspace_id, conversationId: c.id, sourceType: Source.StatusChange, direction: Direction.Internal, at, status: ConversationStatus[status as 1 | 2], ownerUserId: actor.userId, handlerName: actor.name }, actor, updated, 'conversation');
      await emit(trx, {
        workspaceId: c.workspace_id,
        channelId: c.channel_id,
        type: 'ConversationStatusChanged',
        payload: { id: c.id, conversationId: c.id, workspaceId: c.workspace_id, channelId: c.channel_id, contactId: c.contact_id, status, previousStatus: c.status, changedByUserId: actor.userId, changedByName: actor.name, creationTime: at },
      });
      return final;
    },
  };
  return events;
}
export type ConversationEvents = ReturnType<typeof createConversationEvents>;
export type { KnownRecipientCheck };
