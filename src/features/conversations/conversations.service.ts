import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { ConversationRow } from '../../db/types.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { fold } from '../../lib/fold.js';
import { newId } from '../../lib/ids.js';
import type { PageRequest } from '../../lib/paging.js';
import type { Principal } from '../../lib/principal.js';
import type { Actor as ContactActor } from '../contacts/contacts.service.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import type { ConversationFilter, ConversationsRepo } from './conversations.repo.js';
import type { AssignBody, CreateConversationBody, ListConversationsQuery, NoteBody } from './conversations.schemas.js';
import { toConversation, toConversationItem, toTimelineEvent } from './conversations.view.js';
import { Direction, Source, Status, type ConversationEvents } from './events.service.js';
import { parseIdList, parseListDate } from './filters.js';
import { mentionsIn } from './mentions.js';
import type { RecordEvents } from '../events/events.service.js';

/** Who acts on a conversation: a workspace user, or a service account (no user id, its client id as name). */
export interface Actor {
  userId: string | null;
  name: string | null;
  /** Set when a service account acts (what contacts record as creator). */
  serviceAccountId?: string;
}
export const apiActor = ({ principal: p }: { principal: Principal }): Actor =>
  p.kind === 'person' ? { userId: p.userId, name: p.name } : { userId: null, name: p.clientId, serviceAccountId: p.serviceAccountId };

type Emit = (trx: Db, event: { workspaceId: string; channelId?: string; type: EventType; payload: object | (() => Promise<object>) }) => Promise<unknown>;

export function createConversationsService(deps: {
  repo: ConversationsRepo;
  events: ConversationEvents;
  transaction: Transaction;
  clock: Clock;
  emit: Emit;
  /** The live contact with this phone, made when missing (the contacts service). */
  ensureContact: (workspaceId: string, input: { phoneNumber: string; name?: string | null; member: string }, actor: ContactActor, trx: Db) => Promise<{ id: string }>;
  /** The workspace's region for national phone numbers in filters. */
  phoneFragment: (workspaceId: string, text: string) => Promise<string>;
  /** How a conversation actor writes contacts (history source Api). */
  contactActor: (actor: Actor) => ContactActor;
  /** Told, in the transaction, when someone reads a conversation that had unread messages (WhatsApp's blue ticks). */
  onRead?: (trx: Db, read: { workspaceId: string; channelId: string; conversationId: string }) => Promise<unknown>;
  record?: RecordEvents; // the event stream's own events: ConversationRead, NoteCreated, MentionCreated
}) {
  const { repo, events, transaction, clock, emit } = deps;

  async function view(workspaceId: string, id: string, trx?: Db) {
    const [row] = await repo.views(workspaceId, [id], trx);
    if (!row) throw errors.notFound('Conversation', id);
    return row;
  }
  async function locked(workspaceId: string, id: string, trx: Db) {
    const c = await repo.lock(workspaceId, id, trx);
    if (!c) throw errors.notFound('Conversation', id);
    return c;
  }

  /** The user and AI agent an assignment names, checked against the workspace (400 naming the field). */
  async function assignees(workspaceId: string, input: { userId: string | null; aiAgentId: string | null; userField: string; agentField: string }, trx: Db) {
    if (input.userId && input.aiAgentId) throw errors.bothAssignees();
    const id = input.userId ?? input.aiAgentId;
    if (!id) return { user: null, agent: null };
    const field = input.userId ? input.userField : input.agentField;
    const [found] = /^[0-9a-f-]{36}$/i.test(id) ? await repo.users(workspaceId, [id.toLowerCase()], trx) : [];
    if (!found) throw errors.invalidField(field, `${field}: ${id} is not a user or AI agent of this workspace.`);
    if (input.userId && found.is_ai_agent) throw errors.invalidField(field, `${field}: ${id} is an AI agent; assign it with ${input.agentField}.`);
    if (input.aiAgentId && !found.is_ai_agent) throw errors.invalidField(field, `${field}: ${id} is a person, not an AI agent; assign them with ${input.userField}.`);
    return input.userId ? { user: found, agent: null } : { user: null, agent: found };
  }

  /** Sets the assignee (or none), with an Assignation event and `AssignedUserIdChanged`; nothing when unchanged. */
  async function assign(trx: Db, c: ConversationRow, to: Awaited<ReturnType<typeof assignees>>, actor: Actor) {
    const userId = to.user?.id ?? null;
    const agentId = to.agent?.id ?? null;
    if (c.assignee_id === userId && c.ai_agent_id === agentId) return c;
    const at = clock.now();
    await repo.update(c.workspace_id, c.id, { assignee_id: userId, ai_agent_id: agentId }, trx);
    const { conversation } = await events.appendAndRead(trx, {
      workspaceId: c.workspace_id,
      conversationId: c.id,
      sourceType: Source.Assignation,
      direction: Direction.Internal,
      at,
      ownerUserId: actor.userId,
      aiAgentId: agentId,
      handlerName: actor.name,
      assignation: {
        assignedUserId: userId,
        assignedUserName: to.user?.name ?? null,
        assignedAiAgentId: agentId,
        assignedAiAgentName: to.agent?.name ?? null,
        assignedByUserId: actor.userId,
        assignedByUserName: actor.name,
      },
    });
    await emit(trx, {
      workspaceId: c.workspace_id,
      channelId: c.channel_id,
      type: 'AssignedUserIdChanged',
      payload: {
        id: c.id,
        conversationId: c.id,
        workspaceId: c.workspace_id,
        channelId: c.channel_id,
        contactId: c.contact_id,
        assignedUserId: userId,
        assignedAiAgentId: agentId,
        assignedTeamId: null,
        previousAssignedUserId: c.assignee_id,
        previousAssignedAiAgentId: c.ai_agent_id,
        assignedByUserId: actor.userId,
        assignedByUserName: actor.name,
        status: c.status,
        creationTime: at,
      },
    });
    return conversation;
  }

  const service = {
    /** Find or create the contact by phone, then its open conversation on the channel (or a new one); optionally assign. */
    async create(workspaceId: string, input: Static<typeof CreateConversationBody>, actor: Actor) {
      return transaction(async (trx) => {
        if (!(await repo.channelExists(workspaceId, input.channelId, trx))) throw errors.notFound('Channel', input.channelId);
        const to = await assignees(
          workspaceId,
          { userId: input.assignToUserId ?? null, aiAgentId: input.assignToAiAgentId ?? null, userField: 'assignToUserId', agentField: 'assignToAiAgentId' },
          trx,
        );
        const contact = await deps.ensureContact(workspaceId, { phoneNumber: input.phoneNumber, name: input.contactName, member: 'phoneNumber' }, deps.contactActor(actor), trx);
        const conversation = await service.open(trx, { workspaceId, channelId: input.channelId, contactId: contact.id, actor });
        if (to.user || to.agent) await assign(trx, conversation, to, actor);
        return { conversation: toConversation(await view(workspaceId, conversation.id, trx)), contactId: contact.id };
      });
    },

    /**
     * The open conversation of (channel, contact), else a new one (`ConversationCreated`); with
     * `reopen` (an inbound message or call), the latest closed one is reopened before a new one is
     * made. In the caller's transaction: the producers (WhatsApp, voice) call it before
     * `events.append`. `lock: true` answers it locked, so `events.append(…, locked)` need not lock
     * it again. `found`: the pair's conversation as the caller already read it locked in this
     * transaction (`contactConversation`, with the same `reopen`), or null for none — not read again.
     */
    async open(trx: Db, input: { workspaceId: string; channelId: string; contactId: string; actor: Actor; reopen?: boolean; lock?: boolean; found?: ConversationRow | null }): Promise<ConversationRow> {
      // With reopen, one statement reads the open one, else the latest.
      const current =
        input.found !== undefined
          ? input.found
          : input.reopen
            ? await repo.openOrLatest(input.workspaceId, input.channelId, input.contactId, trx, input.lock)
            : await repo.findOpen(input.workspaceId, input.channelId, input.contactId, trx, input.lock);
      if (current?.status === Status.Open) return current;
      if (current && input.reopen) {
        const reopened = await events.setStatus(trx, current, Status.Open, input.actor, clock.now(), 'reopen-if-free');
        if (reopened.status === Status.Open) return reopened;
      }
      const now = clock.now();
      const { row, created } = await repo.insertOpen(
        { id: newId(), workspace_id: input.workspaceId, channel_id: input.channelId, contact_id: input.contactId, status: Status.Open, sentiment: null, assignee_id: null, ai_agent_id: null, last_activity_at: now, last_event_id: null, last_event_source_type: null, last_event_direction: null, last_event_status: null, last_event_preview: null, last_event_at: null, last_inbound_at: null, creation_time: now, creator_id: input.actor.userId, closed_at: null },
        trx,
      );
      if (created) {
        // Built only when a webhook listens (an inbound message from a new sender makes one).
        await emit(trx, { workspaceId: input.workspaceId, channelId: input.channelId, type: 'ConversationCreated', payload: async () => toConversation(await view(input.workspaceId, row.id, trx)) });
      }
      return row;
    },

    /**
     * The live contact with this phone (E.164) and its conversation on the channel, locked, in one
     * statement: the open one, or with `reopen` the open one else the latest (what `open` then
     * reopens). Undefined when no live contact has the phone; `conversation` null when it has none.
     */
    contactConversation: (trx: Db, input: { workspaceId: string; channelId: string; phone: string; reopen?: boolean }) =>
      repo.contactConversation(input.workspaceId, input.channelId, input.phone, input.reopen ?? false, trx),

    /** The wamid of the conversation's latest inbound WhatsApp message (what a read receipt names), or null. */
    lastInboundMessageId: (conversationId: string) => repo.lastInboundExternalId(conversationId, Source.WhatsApp, Direction.Inbound),

    /** When the contact last wrote or called on the channel (WhatsApp's 24-hour window starts there), or null. */
    lastInboundAt: (trx: Db, workspaceId: string, channelId: string, contactId: string) => repo.lastInboundAt(workspaceId, channelId, contactId, trx),

    get: async (workspaceId: string, id: string) => toConversation(await view(workspaceId, id)),

    /** A channel's conversations (spec §3.26), every filter honoured. */
    async list(workspaceId: string, channelId: string, query: Static<typeof ListConversationsQuery>, page: PageRequest) {
      const filter: ConversationFilter = {
        ...(query.Status !== undefined && { status: query.Status }),
        ...(query.AssigneeUserIds !== undefined && { assigneeIds: parseIdList(query.AssigneeUserIds, 'AssigneeUserIds') }),
        ...(query.GetUnAssigned && { unassigned: true }),
        ...(query.ContactIds !== undefined && { contactIds: parseIdList(query.ContactIds, 'ContactIds') }),
        ...(query.TagIds !== undefined && { tagIds: parseIdList(query.TagIds, 'TagIds') }),
        ...(query.Name?.trim() && { name: fold(query.Name) }),
        ...(query.FromDate !== undefined && { from: parseListDate(query.FromDate, 'FromDate', 'from') }),
        ...(query.ToDate !== undefined && { to: parseListDate(query.ToDate, 'ToDate', 'to') }),
        ...(query.IsLost !== undefined && { isLost: query.IsLost }),
      };
      if (query.PhoneNumber?.trim()) {
        filter.phoneDigits = await deps.phoneFragment(workspaceId, query.PhoneNumber);
        // Without digits the filter would match every conversation: what Hatif's ignored filter does, and Wasl must not.
        if (!filter.phoneDigits) throw errors.invalidField('PhoneNumber', `PhoneNumber "${query.PhoneNumber}" has no digits.`);
      }
      if (filter.from && filter.to && filter.from > filter.to) throw errors.invalidField('FromDate', 'FromDate is after ToDate.');
      const result = await repo.list(workspaceId, channelId, filter, page);
      // The list's statements match only a channel of this workspace: only an empty page asks whose it is.
      if (!result.items.length && !(await repo.channelExists(workspaceId, channelId))) throw errors.notFound('Channel', channelId);
      return { totalCount: result.totalCount, totalCountExact: result.exact, items: result.items.map(toConversationItem) };
    },

    /** Assign Conversation (spec §3.28): a user, an AI agent, or nobody. */
    async assign(workspaceId: string, id: string, input: Static<typeof AssignBody>, actor: Actor) {
      await transaction(async (trx) => {
        const c = await locked(workspaceId, id, trx);
        const to = await assignees(workspaceId, { userId: input.assignedUserId ?? null, aiAgentId: input.assignedAiAgentId ?? null, userField: 'assignedUserId', agentField: 'assignedAiAgentId' }, trx);
        await assign(trx, c, to, actor);
      });
      return {};
    },

    /** Replaces the tag set (`[]` clears), with `ConversationTagsChanged` when it changed. */
    async setTags(workspaceId: string, id: string, tagIds: string[], actor: Actor) {
      return transaction(async (trx) => {
        const c = await locked(workspaceId, id, trx);
        const wanted = [...new Set(tagIds.map((t) => t.toLowerCase()))];
        const known = new Set(await repo.knownTags(workspaceId, wanted, trx));
        const unknown = wanted.filter((t) => !known.has(t));
        if (unknown.length) throw errors.invalidField('tagIds', `tagIds: no tag ${unknown.join(', ')} in this workspace.`);
        const before = new Set(await repo.tagIds(c.id, trx));
        const added = wanted.filter((t) => !before.has(t));
        const removed = [...before].filter((t) => !known.has(t));
        if (added.length || removed.length) {
          const at = clock.now();
          await repo.setTags(c.id, removed, added, at, trx);
          await emit(trx, {
            workspaceId,
            channelId: c.channel_id,
            type: 'ConversationTagsChanged',
            payload: { id: c.id, conversationId: c.id, workspaceId, channelId: c.channel_id, contactId: c.contact_id, tagIds: wanted, addedTagIds: added, removedTagIds: removed, changedByUserId: actor.userId, changedByName: actor.name, creationTime: at },
          });
        }
        return toConversation(await view(workspaceId, c.id, trx));
      });
    },

    async setStatus(workspaceId: string, id: string, status: number, actor: Actor) {
      return transaction(async (trx) => {
        const c = await locked(workspaceId, id, trx);
        await events.setStatus(trx, c, status, actor, clock.now());
        return toConversation(await view(workspaceId, id, trx));
      });
    },

    async markRead(workspaceId: string, id: string, actor?: Actor) {
      return transaction(async (trx) => {
        const c = await locked(workspaceId, id, trx);
        // A person reading it has read what mentions them in it.
        if (actor?.userId) await repo.markMentionsRead(workspaceId, id, actor.userId, clock.now(), trx);
        if (c.unread_count !== 0) {
          await repo.update(workspaceId, id, { unread_count: 0 }, trx);
          await deps.onRead?.(trx, { workspaceId, channelId: c.channel_id, conversationId: id });
          await deps.record?.(trx, { workspaceId, type: 'ConversationRead', conversationId: id, payload: { id, conversationId: id, workspaceId, channelId: c.channel_id, contactId: c.contact_id, previousUnreadCount: c.unread_count, creationTime: clock.now() } });
        }
        return toConversation(await view(workspaceId, id, trx));
      });
    },

    /** Mark unread: `unreadCount` 1 when it was 0 (with `ConversationUnread` on the stream), else unchanged. */
    async markUnread(workspaceId: string, id: string, actor: Actor) {
      return transaction(async (trx) => {
        const c = await locked(workspaceId, id, trx);
        if (c.unread_count === 0) {
          await repo.update(workspaceId, id, { unread_count: 1 }, trx);
          await deps.record?.(trx, { workspaceId, type: 'ConversationUnread', conversationId: id, payload: { id, conversationId: id, workspaceId, channelId: c.channel_id, contactId: c.contact_id, unreadCount: 1, userId: actor.userId, creationTime: clock.now() } });
        }
        return toConversation(await view(workspaceId, id, trx));
      });
    },

    /** Conversations as Get Conversation answers them, in the order of `ids` (missing ones left out). */
    views: async (workspaceId: string, ids: string[]) => (await repo.views(workspaceId, ids)).map(toConversation),

    /**
     * The reply guard of a send (features/inbox/README.md), in its transaction: the
     * newest outbound WhatsApp message in `conversationId` after the event `seenEventId` by anyone
     * but `sender`, or null; `seen: false` when that event is not one of this contact's on this
     * channel. One statement, on the primary key and the timeline index.
     */
    replyAfter: (trx: Db, input: { workspaceId: string; channelId: string; contactId: string; conversationId: string; seenEventId: string; sender: Actor }) =>
      repo.replyAfter({ ...input, sourceType: Source.WhatsApp, direction: Direction.Outbound, senderUserId: input.sender.userId, senderName: input.sender.name }, trx),

    /** An internal note in the timeline; `@<userId>` mentions are recorded for the people named. */
    async addNote(workspaceId: string, id: string, input: Static<typeof NoteBody>, actor: Actor) {
      return transaction(async (trx) => {
        await locked(workspaceId, id, trx);
        const author = await authorOf(workspaceId, input.authorUserId ?? null, actor, trx);
        const text = input.text.trim();
        const mentioned = await mentionsIn(text, 'text', (ids) => repo.users(workspaceId, ids, trx));
        const { event } = await events.append(trx, { workspaceId, conversationId: id, sourceType: Source.Note, direction: Direction.Internal, body: text, ownerUserId: author.userId, handlerName: author.name });
        await repo.insertMentions(mentioned.map((userId) => ({ id: newId(), workspace_id: workspaceId, user_id: userId, conversation_id: id, event_id: event.id, thread_message_id: null, creation_time: event.creation_time, read_at: null })), trx);
        await deps.record?.(trx, [{ workspaceId, type: 'NoteCreated', conversationId: id, payload: { ...toTimelineEvent({ ...event, reply_to_body: null }), conversationId: id, workspaceId } }, ...mentioned.map((userId) => ({ workspaceId, type: 'MentionCreated' as const, conversationId: id, audienceUserId: userId, payload: { userId, workspaceId, conversationId: id, eventId: event.id, threadMessageId: null, authorUserId: author.userId, authorName: author.name, text, creationTime: event.creation_time } }))]);
        return toTimelineEvent({ ...event, reply_to_body: null });
      });
    },

    async timeline(workspaceId: string, id: string, page: PageRequest) {
      const c = await repo.find(workspaceId, id);
      if (!c) throw errors.notFound('Conversation', id);
      const rows = c.events_count > page.skip ? await repo.timeline(id, page) : [];
      return { totalCount: c.events_count, items: rows.map(toTimelineEvent) };
    },
  };

  /** The author of a note or thread message: a workspace person when named, else the caller. */
  async function authorOf(workspaceId: string, userId: string | null, actor: Actor, trx: Db): Promise<Actor> {
    if (!userId) return actor;
    const [user] = await repo.users(workspaceId, [userId], trx);
    if (!user || user.is_ai_agent) throw errors.invalidField('authorUserId', `authorUserId: ${userId} is not a person of this workspace.`);
    return { userId: user.id, name: user.name ?? user.email };
  }

  return Object.assign(service, { authorOf });
}
export type ConversationsService = ReturnType<typeof createConversationsService>;
