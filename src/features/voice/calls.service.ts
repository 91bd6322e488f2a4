import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { CallStatus, CallType, ChangeSource, codes } from '../../lib/enums.js';
import { newId } from '../../lib/ids.js';
import type { PageRequest } from '../../lib/paging.js';
import type { Actor as ContactActor } from '../contacts/contacts.service.js';
import type { Actor, ConversationsService } from '../conversations/conversations.service.js';
import { Direction, Source, type ConversationEvents } from '../conversations/events.service.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import { timeSpan } from '../conversations/conversations.view.js';
import type { CallRow, CallsRepo } from './calls.repo.js';

export const Call = codes(CallStatus);
const VOICE_ACTOR: ContactActor = { id: null, name: 'Voice', source: codes(ChangeSource).System };
export const CallKind = codes(CallType);
type Emit = (trx: Db, event: { workspaceId: string; channelId?: string; conversationId?: string; type: EventType; payload: object | (() => Promise<object>); url?: string }) => Promise<unknown>;

/** Whole seconds from one time to another (null when either is missing). */
export const secondsBetween = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : null);

/** A call's status as its timeline event says it: an answered call is `Answered` (what the lost flag reads), others by their Call Webhook name. */
const timelineStatus = (status: number) => (status === Call.Active || status === Call.Completed ? 'Answered' : CallStatus[status as keyof typeof CallStatus]);

/** The Call Webhook (spec §4.1, the endpoint version with `callId`). */
export function callWebhook(c: CallRow) {
  const inbound = c.direction === CallKind.Inbound;
  return {
    callId: c.id,
    workspaceId: c.workspace_id,
    channelId: c.channel_id,
    status: c.status,
    type: c.direction,
    callerNumber: c.caller_number,
    calleeNumber: c.callee_number,
    pickupTime: c.pickup_at,
    hangupTime: c.hangup_at,
    userId: c.user_id,
    userName: null,
    contactId: c.contact_id,
    contactNumber: inbound ? c.caller_number : c.callee_number,
    callLength: timeSpan(secondsBetween(c.pickup_at, c.hangup_at)),
    aiAgentId: null,
    recordingUrl: c.recording_url,
    transcription: null,
    summary: null,
    sentiment: null,
    evaluationCriteriaResult: null,
    creationTime: c.created_at,
  };
}

/**
 * Calls as records (issue 10): each one a `calls` row, a timeline event (SourceType 1) in the
 * contact's conversation on the channel, and a Call Webhook at each status it reaches (8 Ringing,
 * 0 Active, then the final one) — each change in one transaction with its webhook.
 */
export function createCallsService(deps: {
  repo: CallsRepo;
  transaction: Transaction;
  clock: Clock;
  emit: Emit;
  conversations: Pick<ConversationsService, 'open'>;
  events: ConversationEvents;
  ensureContact: (workspaceId: string, input: { phoneNumber: string; member: string }, actor: ContactActor, trx: Db) => Promise<{ id: string; phoneNumber: string }>;
}) {
  const { repo, clock, emit, events } = deps;
  const system: Actor = { userId: null, name: null };

  async function change(trx: Db, id: string, patch: Parameters<CallsRepo['updateCall']>[1], notify = true) {
    const c = await repo.updateCall(id, patch, trx);
    if (c.event_id) {
      await events.update(trx, c.workspace_id, c.event_id, {
        status: timelineStatus(c.status),
        durationSeconds: secondsBetween(c.pickup_at, c.hangup_at),
        ringingSeconds: secondsBetween(c.ringing_at ?? c.created_at, c.pickup_at ?? c.hangup_at),
      });
    }
    if (notify) await emit(trx, { workspaceId: c.workspace_id, channelId: c.channel_id, ...(c.conversation_id && { conversationId: c.conversation_id }), type: 'Call', payload: callWebhook(c) }); // the stream's ?conversationId= finds calls too
    return c;
  }

  return {
    /**
     * A call starts (in the caller's transaction): the contact (made when missing), its open
     * conversation (a closed one reopened for an inbound call), the call and its timeline event.
     */
    async start(trx: Db, input: { workspaceId: string; channelId: string; direction: number; contactNumber: string; member: string; businessNumber: string | null; provider: string; handlerName?: string }) {
      const contact = await deps.ensureContact(input.workspaceId, { phoneNumber: input.contactNumber, member: input.member }, VOICE_ACTOR, trx);
      const inbound = input.direction === CallKind.Inbound;
      const conversation = await deps.conversations.open(trx, { workspaceId: input.workspaceId, channelId: input.channelId, contactId: contact.id, actor: system, reopen: inbound, lock: true });
      const id = newId();
      const now = clock.now();
      const { event } = await events.append(
        trx,
        {
          workspaceId: input.workspaceId,
          conversationId: conversation.id,
          sourceType: Source.Call,
          direction: inbound ? Direction.Inbound : Direction.Outbound,
          at: now,
          status: 'Ringing',
          sourceId: id,
          externalId: id,
          handlerName: input.handlerName ?? null,
        },
        undefined,
        conversation,
      );
      return repo.insertCall(
        {
          id,
          workspace_id: input.workspaceId,
          channel_id: input.channelId,
          contact_id: contact.id,
          conversation_id: conversation.id,
          event_id: event.id,
          direction: input.direction,
          status: Call.Ringing,
          caller_number: inbound ? contact.phoneNumber : input.businessNumber,
          callee_number: inbound ? input.businessNumber : contact.phoneNumber,
          provider: input.provider,
          provider_call_id: null,
          user_id: null,
          ringing_at: null,
          pickup_at: null,
          hangup_at: null,
          hangup_cause: null,
          recording_url: null,
          created_at: now,
        },
        trx,
      );
    },
    ringing: (trx: Db, id: string, at: Date) => change(trx, id, { status: Call.Ringing, ringing_at: at }),
    answered: (trx: Db, id: string, at: Date) => change(trx, id, { status: Call.Active, pickup_at: at }),
    /** The call's end: its final status (Completed, NoAnswer, Failed …), when, and why. */
    ended: (trx: Db, id: string, end: { status: number; at: Date; cause: string | null }) => change(trx, id, { status: end.status, hangup_at: end.at, hangup_cause: end.cause }),

    async list(workspaceId: string, page: PageRequest) {
      return repo.listCalls(workspaceId, page);
    },
  };
}
export type CallsService = ReturnType<typeof createCallsService>;
