import { Type } from 'typebox';
import { DateTime, IntEnum, Nullable, Uuid } from '../../http/schemas.js';
import { EventDirection, EventSourceType } from '../../lib/enums.js';
import { Conversation } from '../conversations/conversations.schemas.js';

const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const INBOX_VIEWS = ['mine', 'unassigned', 'all', 'mentions'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

const when = (edge: 'from' | 'to') =>
  Type.Optional(
    Type.String({
      maxLength: 40,
      description: `Last activity ${edge === 'from' ? 'at or after' : 'at or before'} (ISO-8601; read as List Conversations reads FromDate/ToDate: without an offset UTC+3, a date alone the ${edge === 'from' ? 'start' : 'end'} of that day).`,
      examples: ['2026-03-17T09:00:00Z'],
    }),
  );

/** The filters the list and the counts share. */
const filters = {
  channelId: Type.Optional(Type.String({ maxLength: 64, description: 'One channel of this workspace (another id → 400 naming channelId).' })),
  tagId: Type.Optional(Type.String({ maxLength: 64, description: 'Has this tag of this workspace (another id → 400 naming tagId).' })),
  assigneeId: Type.Optional(Type.String({ maxLength: 64, description: 'Assigned to this workspace user, person or AI agent (another id → 400 naming assigneeId).' })),
  from: when('from'),
  to: when('to'),
  lost: Type.Optional(Type.Boolean({ description: 'true: only conversations whose last customer event is inbound and unanswered; false or absent: no filter.' })),
  userId: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'Service accounts: the workspace user whose Mine and Mentions these are (required for view=mine|mentions). A signed-in person is always themself (another id → 400).',
    }),
  ),
};

export const InboxListQuery = Type.Object({
  view: StringEnum(INBOX_VIEWS, { default: 'all', description: 'mine: assigned to me; unassigned: to nobody; all; mentions: where I have an unread mention.' }),
  status: StringEnum(['open', 'closed'] as const, { default: 'open' }),
  ...filters,
  unreadOnly: Type.Optional(Type.Boolean({ description: 'true: only conversations with unreadCount > 0.' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page (opaque).' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
});

export const InboxCountsQuery = Type.Object(filters);

export const InboxConversation = Type.Object(
  {
    ...Conversation.properties,
    mentionsUnread: Type.Integer({ description: "The viewer's unread mentions in it (0 for a service account without userId)." }),
  },
  { description: 'Get Conversation\'s object, plus `mentionsUnread`.' },
);

export const InboxPage = Type.Object({
  items: Type.Array(InboxConversation, { description: 'lastActivityAt descending, then id descending.' }),
  nextCursor: Nullable(Type.String({ description: 'The next page\'s cursor; null on the last page.' })),
});

const Pair = Type.Object({ open: Type.Integer(), closed: Type.Integer() });
export const InboxCounts = Type.Object({
  mine: Pair,
  unassigned: Pair,
  all: Pair,
  mentions: Pair,
  unread: Type.Integer({ description: 'Open conversations (view all, the filters applied) with unreadCount > 0.' }),
  capped: Type.Array(Type.String(), {
    description: 'Counts that reached the cap (10,000) and answer it rather than the exact number, e.g. "all.closed" or "unread"; empty when every count is exact.',
  }),
});

export const InboxSearchQuery = Type.Object({
  q: Type.String({
    minLength: 1,
    maxLength: 200,
    description:
      "Free text. Contacts: in a contact's name, phone or email. Messages: in the text of the workspace's timeline events (messages, captions, notes), " +
      'folded both sides (case, accents, Arabic tashkeel and hamza forms, ى/ي, ة/ه); messages are searched once the folded text has 3 characters.',
  }),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 10, description: 'At most this many contacts and this many messages.' }),
});

export const InboxSearchResult = Type.Object({
  contacts: Type.Array(Type.Object({ id: Uuid, name: Nullable(Type.String()), phoneNumber: Nullable(Type.String()) })),
  messages: Type.Array(
    Type.Object({
      eventId: Uuid,
      conversationId: Uuid,
      contactId: Uuid,
      contactName: Nullable(Type.String()),
      channelId: Uuid,
      sourceType: IntEnum(EventSourceType),
      direction: IntEnum(EventDirection),
      body: Type.String(),
      creationTime: DateTime,
    }),
    { description: 'Timeline events whose text holds `q`, newest first (empty below 3 folded characters).' },
  ),
  messagesTimedOut: Type.Boolean({
    description: 'True when the message search ran out of its time (2 s) and `messages` is empty: a text made of common pieces that matches almost nothing. Add a word.',
  }),
});
