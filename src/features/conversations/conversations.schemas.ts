import { Type } from 'typebox';
import { ChannelType, ContactType, ConversationStatus, EventDirection, EventSourceType, Sentiment } from '../../lib/enums.js';
import { DateTime, IntEnum, Nullable, Paged, PagingQuery, Uuid } from '../../http/schemas.js';

const names = (table: Record<number, string>) => Object.values(table).join(', ');

/** TagDto (spec §5.C): what a conversation's `tags` hold. */
export const ConversationTag = Type.Object({
  id: Uuid,
  name: Type.String(),
  icon: Nullable(Type.String()),
  isPinned: Type.Boolean(),
  creationTime: DateTime,
});

const conversationExample = {
  id: '3a1a4cb7-e7c1-f045-127b-ad2297847528',
  sentiment: null,
  status: 'Open',
  lastActivityAt: '2026-02-19T01:52:46.000Z',
  contactId: '3a18a7e6-48bf-e5b8-4935-867e4b6c6c02',
  contactName: 'Ahmed Ali',
  contactType: 'Individual',
  phoneNumber: '+966500888777',
  channelId: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0',
  assigneeId: null,
  assignedAiAgentId: null,
  isAiAssignee: false,
  assigneeName: null,
  channel: { id: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0', name: 'Main Channel', type: 'WhatsApp', icon: null, phoneNumber: '+966500000000' },
  tags: [],
  unreadCount: 0,
};

/** What both conversation shapes hold alike (their enums differ: names in Create/Get, integers in lists). */
const conversationFields = {
  id: Uuid,
  lastActivityAt: DateTime,
  contactId: Uuid,
  contactName: Nullable(Type.String()),
  phoneNumber: Nullable(Type.String()),
  channelId: Nullable(Uuid),
  assigneeId: Nullable(Type.String({ format: 'uuid' })),
  assignedAiAgentId: Nullable(Type.String({ format: 'uuid' })),
  isAiAssignee: Type.Boolean(),
  assigneeName: Nullable(Type.String()),
};
const channelFields = { id: Uuid, name: Nullable(Type.String()), icon: Nullable(Type.String()), phoneNumber: Nullable(Type.String()) };

/** Create / Get Conversation (spec §3.27, §3.29): string enums, as the docs' examples. */
export const Conversation = Type.Object(
  {
    ...conversationFields,
    sentiment: Nullable(Type.String({ description: names(Sentiment) })),
    status: Type.String({ description: names(ConversationStatus) }),
    contactType: Type.String({ description: names(ContactType) }),
    channel: Nullable(Type.Object({ ...channelFields, type: Type.String({ description: names(ChannelType) }) })),
    tags: Type.Array(ConversationTag, { description: 'Tag objects (the live service answers objects, not the strings the docs type).' }),
    unreadCount: Type.Integer(),
  },
  { $id: 'Conversation', examples: [conversationExample] },
);

export const CreateConversationResult = Type.Object(
  { conversation: Conversation, contactId: Uuid },
  { examples: [{ conversation: conversationExample, contactId: conversationExample.contactId }] },
);

/** ConversationDto (spec §5.B): integer enums, with the LastEvent* fields. */
export const ConversationItem = Type.Object({
  ...conversationFields,
  sentiment: Nullable(Type.Integer({ description: Object.entries(Sentiment).map(([k, v]) => `${k} = ${v}`).join(', ') })),
  status: Type.Integer({ description: '1 = Open, 2 = Closed' }),
  contactType: Type.Integer({ description: '1 = Individual, 2 = Business' }),
  channel: Nullable(Type.Object({ ...channelFields, type: Type.Integer({ description: '1 = PhoneNumber, 2 = WhatsApp, 3 = PhoneNumberAndWhatsapp' }) })),
  lastEventSourceType: Nullable(Type.Integer({ description: Object.entries(EventSourceType).map(([k, v]) => `${k} = ${v}`).join(', ') })),
  lastEventDirection: Nullable(Type.Integer({ description: '1 = Inbound, 2 = Outbound, 3 = Internal' })),
  lastEventStatus: Nullable(Type.String({ description: 'e.g. Answered, Missed, Sent, Delivered, Read, Failed' })),
  lastEventPreviewBody: Nullable(Type.String()),
  lastEventOccurredAt: Nullable(DateTime),
  lastEventsCount: Type.Integer({ description: 'How many events in a row, ending with the last, share its source type and direction (e.g. 3 unanswered messages).' }),
  tags: Type.Array(ConversationTag),
  unreadCount: Type.Integer({ description: 'Customer messages and calls since the conversation was last marked read.' }),
  creationTime: DateTime,
  closedAt: Nullable(DateTime),
  isLost: Type.Boolean({ description: 'The last customer event is inbound and was not answered.' }),
});

export const PagedConversations = Type.Object({
  totalCount: Type.Integer({ description: 'Exact up to 10,000 matches; above that the planner\'s estimate (`totalCountExact: false`), never less than the conversations already paged plus one while pages come full.' }),
  totalCountExact: Type.Boolean(),
  items: Type.Array(ConversationItem),
});

export const CONVERSATION_SORT_FIELDS = { LastActivityAt: 'last_activity_at', CreationTime: 'creation_time' } as const;

const idList = (what: string) => Type.Optional(Type.String({ maxLength: 20_000, description: `Comma-separated ${what} ids (any of them matches).` }));
const when = (edge: string) =>
  Type.Optional(
    Type.String({
      maxLength: 40,
      description: `Last activity ${edge}: ISO-8601; without an offset it is read as UTC+3 (Hatif's rule); a date alone is the ${edge === 'from' ? 'start' : 'end'} of that day in UTC+3.`,
      examples: ['2026-03-17T12:00:00'],
    }),
  );

export const ListConversationsQuery = Type.Object({
  ...PagingQuery(10, Object.keys(CONVERSATION_SORT_FIELDS)),
  Status: Type.Optional(IntEnum(ConversationStatus)),
  AssigneeUserIds: idList('user or AI agent'),
  GetUnAssigned: Type.Optional(Type.Boolean({ description: 'Only conversations with no user and no AI agent (with AssigneeUserIds: either).' })),
  ContactIds: idList('contact'),
  TagIds: idList('tag'),
  Name: Type.Optional(Type.String({ maxLength: 200, description: "Part of the contact's name (case, accents and Arabic letter forms ignored)." })),
  PhoneNumber: Type.Optional(Type.String({ maxLength: 40, description: "Part of the contact's phone number (digits, with or without +; national numbers read in the workspace's region)." })),
  FromDate: when('from'),
  ToDate: when('to'),
  IsLost: Type.Optional(Type.Boolean({ description: 'Only conversations whose last customer event is inbound and unanswered (false: only the others).' })),
});

export const ChannelParams = Type.Object({ channelId: Uuid });

const optionalId = Type.Optional(Nullable(Type.String({ maxLength: 64 })));

export const CreateConversationBody = Type.Object(
  {
    channelId: Uuid,
    phoneNumber: Type.String({ minLength: 1, maxLength: 40, description: 'E.164 (with or without +; a national number is read in the workspace region).' }),
    contactName: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'Used when the contact is new; the phone number when omitted.' }))),
    assignToUserId: optionalId,
    assignToAiAgentId: optionalId,
  },
  {
    examples: [{ ChannelId: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0', PhoneNumber: '+966500888777', ContactName: 'Ahmed Ali', AssignToUserId: null, AssignToAiAgentId: null }],
  },
);

export const AssignBody = Type.Object(
  { assignedUserId: optionalId, assignedAiAgentId: optionalId },
  {
    description: 'A user or an AI agent (workspace-user `id` or `userId`, which are equal); neither unassigns; both → 422.',
    examples: [{ AssignedUserId: null, AssignedAiAgentId: '00aec1fb-ffee-40cc-bf0e-33832c29c61a' }],
  },
);

export const TagsBody = Type.Object(
  { tagIds: Type.Array(Uuid, { maxItems: 100, uniqueItems: false, description: "The conversation's whole tag set; [] removes every tag." }) },
  { examples: [{ tagIds: ['38a5a5bb-dc30-49a2-b175-1de0d1488c43'] }] },
);

export const NoteBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S', description: 'Internal note; `@<userId>` mentions a workspace user.' }),
    authorUserId: Type.Optional(Nullable(Uuid)),
  },
  { examples: [{ text: 'Customer asked for a call back tomorrow @3a1813e8-790f-26ac-c4b3-3a068eb70b08' }] },
);

export const EmptyObject = Type.Object({}, { description: 'An empty object.' });

export const TIMELINE_SORT_FIELDS = { CreationTime: 'creation_time' } as const;
export const TimelineQuery = Type.Object(PagingQuery(10, Object.keys(TIMELINE_SORT_FIELDS)));

/** ConversationTimelineDto (spec §5.B) with its nested DTOs, plus Wasl's message fields. */
export const TimelineEvent = Type.Object({
  eventId: Uuid,
  conversationId: Uuid,
  contactId: Uuid,
  channelId: Uuid,
  sourceType: IntEnum(EventSourceType, { description: '1–3 are Hatif\'s; 4–6 Wasl\'s.' }),
  sourceId: Nullable(Type.String({ format: 'uuid' })),
  direction: IntEnum(EventDirection),
  creationTime: DateTime,
  status: Nullable(Type.String({ description: 'Calls: Answered, Missed, …; WhatsApp: Pending, Sent, Delivered, Read, Failed; status changes: Open, Closed.' })),
  errorCode: Nullable(Type.Integer()),
  failureReason: Nullable(Type.String()),
  isAi: Type.Boolean(),
  attachment: Nullable(Type.String()),
  ownerUserId: Nullable(Type.String({ format: 'uuid' })),
  aiAgentId: Nullable(Type.String({ format: 'uuid' })),
  durationOrSize: Nullable(Type.String({ description: 'A call\'s duration as HH:MM:SS, or a file\'s size in bytes.' })),
  ringingDuration: Nullable(Type.String({ description: 'HH:MM:SS' })),
  body: Nullable(Type.String()),
  handlerName: Nullable(Type.String()),
  aiSummary: Nullable(Type.Object({ summary: Nullable(Type.String()), transcription: Nullable(Type.String()) })),
  replyTo: Nullable(Type.Object({ repliedToEventId: Nullable(Type.String({ format: 'uuid' })), repliedToBody: Nullable(Type.String()) })),
  internalThread: Nullable(Type.Object({ id: Uuid, isResolved: Type.Boolean(), messageCount: Type.Integer() })),
  location: Nullable(Type.Object({ latitude: Type.Number(), longitude: Type.Number(), name: Nullable(Type.String()), address: Nullable(Type.String()) })),
  assignation: Nullable(
    Type.Object({
      assignedUserId: Nullable(Type.String({ format: 'uuid' })),
      assignedUserName: Nullable(Type.String()),
      assignedAiAgentId: Nullable(Type.String({ format: 'uuid' })),
      assignedAiAgentName: Nullable(Type.String()),
      assignedByUserId: Nullable(Type.String({ format: 'uuid' })),
      assignedByUserName: Nullable(Type.String()),
    }),
  ),
  messageType: Nullable(Type.String({ description: 'WhatsApp: Text, Image, Video, Audio, Document, Location, Contact, Sticker, Template, Interactive.' })),
  mimeType: Nullable(Type.String()),
  messageId: Nullable(Type.String({ description: "The provider's id (WhatsApp wamid)." })),
});

export const PagedTimeline = Paged(TimelineEvent);

// Threads (spec §6's internal calls).
export const EventParams = Type.Object({ eventId: Uuid });
export const ThreadMessageBody = Type.Object(
  {
    messageBody: Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S', description: '`@<userId>` mentions a workspace user.' }),
    authorUserId: Type.Optional(Nullable(Uuid)),
  },
  { examples: [{ MessageBody: 'Can you call them back? @3a1813e8-790f-26ac-c4b3-3a068eb70b08' }] },
);
export const ThreadMessage = Type.Object({
  id: Uuid,
  eventId: Uuid,
  threadId: Uuid,
  authorUserId: Nullable(Type.String({ format: 'uuid' })),
  authorName: Nullable(Type.String()),
  body: Type.String(),
  mentionedUserIds: Type.Array(Uuid),
  creationTime: DateTime,
});
export const Thread = Type.Object({ id: Uuid, eventId: Uuid, conversationId: Uuid, isResolved: Type.Boolean(), messageCount: Type.Integer() });
export const THREAD_SORT_FIELDS = { CreationTime: 'creation_time' } as const;
export const ThreadQuery = Type.Object(PagingQuery(50, Object.keys(THREAD_SORT_FIELDS)));
export const PagedThreadMessages = Type.Object({ totalCount: Type.Integer(), thread: Thread, items: Type.Array(ThreadMessage) });
