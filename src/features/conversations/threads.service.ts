import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { ConversationEventRow, ThreadMessageRow } from '../../db/types.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { PageRequest } from '../../lib/paging.js';
import type { ConversationsRepo } from './conversations.repo.js';
import type { Actor } from './conversations.service.js';
import type { ThreadMessageBody } from './conversations.schemas.js';
import { mentionsIn } from './mentions.js';
import type { RecordEvents } from '../events/events.service.js';

const toThread = (e: ConversationEventRow) => ({ id: e.thread_id!, eventId: e.id, conversationId: e.conversation_id, isResolved: e.thread_resolved, messageCount: e.thread_message_count });
const toMessage = (m: ThreadMessageRow, threadId: string) => ({
  id: m.id,
  eventId: m.event_id,
  threadId,
  authorUserId: m.author_user_id,
  authorName: m.author_name,
  body: m.body,
  mentionedUserIds: m.mentions,
  creationTime: m.creation_time,
});

/**
 * Internal threads on timeline events (Hatif's internal `…/threads/messages`, `resolve`,
 * `unresolve`): the first message opens the event's thread; a new message reopens a resolved one.
 */
export function createThreadsService(deps: {
  repo: ConversationsRepo;
  transaction: Transaction;
  clock: Clock;
  authorOf: (workspaceId: string, userId: string | null, actor: Actor, trx: Db) => Promise<Actor>;
  record?: RecordEvents; // MentionCreated for each person a thread message names
}) {
  const { repo, transaction, clock } = deps;

  async function lockedEvent(workspaceId: string, eventId: string, trx: Db) {
    const event = await repo.lockEvent(workspaceId, eventId, trx);
    if (!event) throw errors.notFound('ConversationEvent', eventId);
    return event;
  }

  return {
    async post(workspaceId: string, eventId: string, input: Static<typeof ThreadMessageBody>, actor: Actor) {
      return transaction(async (trx) => {
        const event = await lockedEvent(workspaceId, eventId, trx);
        const author = await deps.authorOf(workspaceId, input.authorUserId ?? null, actor, trx);
        const body = input.messageBody.trim();
        const mentioned = await mentionsIn(body, 'messageBody', (ids) => repo.users(workspaceId, ids, trx));
        const at = clock.now();
        const threadId = event.thread_id ?? newId();
        const message = await repo.insertThreadMessage({ id: newId(), workspace_id: workspaceId, event_id: eventId, author_user_id: author.userId, author_name: author.name, body, mentions: mentioned, creation_time: at }, trx);
        await repo.updateEvent(workspaceId, eventId, { thread_id: threadId, thread_resolved: false, thread_message_count: event.thread_message_count + 1, last_modification_time: at }, trx);
        await repo.insertMentions(
          mentioned.map((userId) => ({ id: newId(), workspace_id: workspaceId, user_id: userId, conversation_id: event.conversation_id, event_id: eventId, thread_message_id: message.id, creation_time: at, read_at: null })),
          trx,
        );
        await deps.record?.(trx, mentioned.map((userId) => ({ workspaceId, type: 'MentionCreated' as const, conversationId: event.conversation_id, audienceUserId: userId, payload: { userId, workspaceId, conversationId: event.conversation_id, eventId, threadMessageId: message.id, authorUserId: author.userId, authorName: author.name, text: body, creationTime: at } })));
        return toMessage(message, threadId);
      });
    },

    async setResolved(workspaceId: string, eventId: string, resolved: boolean) {
      return transaction(async (trx) => {
        const event = await lockedEvent(workspaceId, eventId, trx);
        if (!event.thread_id) throw errors.notFound('Thread', eventId);
        const updated = event.thread_resolved === resolved ? event : await repo.updateEvent(workspaceId, eventId, { thread_resolved: resolved, last_modification_time: clock.now() }, trx);
        return toThread(updated);
      });
    },

    async messages(workspaceId: string, eventId: string, page: PageRequest) {
      const event = await repo.findEvent(workspaceId, eventId);
      if (!event) throw errors.notFound('ConversationEvent', eventId);
      if (!event.thread_id) throw errors.notFound('Thread', eventId);
      const rows = await repo.threadMessages(eventId, page);
      return { totalCount: event.thread_message_count, thread: toThread(event), items: rows.map((m) => toMessage(m, event.thread_id!)) };
    },
  };
}
export type ThreadsService = ReturnType<typeof createThreadsService>;
