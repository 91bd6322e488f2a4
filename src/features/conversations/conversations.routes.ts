import { pageRequest } from '../../http/paging.js';
import { IdParams } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { apiActor as actor, type ConversationsService } from './conversations.service.js';
import type { ThreadsService } from './threads.service.js';
import { Status } from './events.service.js';
import {
  AssignBody,
  ChannelParams,
  Conversation,
  CONVERSATION_SORT_FIELDS,
  CreateConversationBody,
  CreateConversationResult,
  EmptyObject,
  EventParams,
  ListConversationsQuery,
  NoteBody,
  PagedConversations,
  PagedThreadMessages,
  PagedTimeline,
  TagsBody,
  Thread,
  THREAD_SORT_FIELDS,
  ThreadMessage,
  ThreadMessageBody,
  ThreadQuery,
  TIMELINE_SORT_FIELDS,
  TimelineEvent,
  TimelineQuery,
} from './conversations.schemas.js';

const BASE = '/v2/conversations/service-account';

export function conversationsRoutes(app: App, { conversations, threads }: { conversations: ConversationsService; threads: ThreadsService }) {
  const config = { auth: 'bearer' } as const;
  const tags = ['Conversations'];
  const wasl = ['Wasl'];

  app.post(
    `${BASE}/create`,
    {
      config: { ...config, errors: [404, 422] },
      schema: {
        tags,
        operationId: 'createConversation',
        summary: 'Create Conversation',
        description: "Finds or creates the contact by phone, then returns the contact's open conversation on the channel or creates one; optionally assigns it.",
        body: CreateConversationBody,
        response: { 200: CreateConversationResult },
      },
    },
    (req) => conversations.create(req.principal.workspaceId, req.body, actor(req)),
  );
  app.get(
    `${BASE}/channels/:channelId`,
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'listConversations', summary: 'List Conversations', params: ChannelParams, querystring: ListConversationsQuery, response: { 200: PagedConversations } },
    },
    (req) => conversations.list(req.principal.workspaceId, req.params.channelId, req.query, pageRequest(req.query, CONVERSATION_SORT_FIELDS, 'LastActivityAt DESC')),
  );
  app.get(
    `${BASE}/:id`,
    { config: { ...config, errors: [404] }, schema: { tags, operationId: 'getConversation', summary: 'Get Conversation', params: IdParams, response: { 200: Conversation } } },
    (req) => conversations.get(req.principal.workspaceId, req.params.id),
  );
  app.post(
    `${BASE}/:id/assign`,
    {
      config: { ...config, errors: [404, 422] },
      schema: {
        tags,
        operationId: 'assignConversation',
        summary: 'Assign Conversation',
        description: 'To a user or an AI agent; neither unassigns; both → 422. Each change is an Assignation timeline event and an `AssignedUserIdChanged` workspace event.',
        params: IdParams,
        body: AssignBody,
        response: { 200: EmptyObject },
      },
    },
    (req) => conversations.assign(req.principal.workspaceId, req.params.id, req.body, actor(req)),
  );
  app.post(
    `${BASE}/:id/tags`,
    {
      config: { ...config, errors: [404] },
      schema: {
        tags,
        operationId: 'setConversationTags',
        summary: 'Set Conversation Tags',
        description: "Replaces the conversation's tag set (`[]` removes all). Not in Hatif's docs; its clients call it.",
        params: IdParams,
        body: TagsBody,
        response: { 200: Conversation },
      },
    },
    (req) => conversations.setTags(req.principal.workspaceId, req.params.id, req.body.tagIds, actor(req)),
  );
  app.get(
    `${BASE}/:id/timeline`,
    {
      config: { ...config, errors: [404] },
      schema: { tags, operationId: 'getConversationTimeline', summary: 'Get Conversation Timeline', params: IdParams, querystring: TimelineQuery, response: { 200: PagedTimeline } },
    },
    (req) => conversations.timeline(req.principal.workspaceId, req.params.id, pageRequest(req.query, TIMELINE_SORT_FIELDS, 'CreationTime DESC')),
  );

  // Beyond Hatif.
  for (const [verb, status] of [['close', Status.Closed], ['reopen', Status.Open]] as const) {
    app.post(
      `${BASE}/:id/${verb}`,
      {
        config: { ...config, errors: [404, 409] },
        schema: {
          tags: wasl,
          operationId: `${verb}Conversation`,
          summary: verb === 'close' ? 'Close Conversation' : 'Reopen Conversation',
          description:
            verb === 'close'
              ? 'Closes it (no change when closed). A new inbound message or call reopens it.'
              : 'Reopens it (no change when open); 409 when another conversation is open for the same contact on the channel.',
          params: IdParams,
          response: { 200: Conversation },
        },
      },
      (req) => conversations.setStatus(req.principal.workspaceId, req.params.id, status, actor(req)),
    );
  }
  app.post(
    `${BASE}/:id/read`,
    {
      config: { ...config, errors: [404] },
      schema: { tags: wasl, operationId: 'markConversationRead', summary: 'Mark Conversation Read', description: "Sets `unreadCount` to 0; a signed-in person's unread mentions in it are marked read too.", params: IdParams, response: { 200: Conversation } },
    },
    (req) => conversations.markRead(req.principal.workspaceId, req.params.id, actor(req)), // actor: a person's mentions in it are read too
  );
  app.post(
    `${BASE}/:id/unread`,
    {
      config: { ...config, errors: [404] },
      schema: {
        tags: wasl,
        operationId: 'markConversationUnread',
        summary: 'Mark Conversation Unread',
        description: 'Sets `unreadCount` to 1 when it is 0 (unchanged when above), with a `ConversationUnread` event on the stream (`GET /v1/events`) when it changed.',
        params: IdParams,
        response: { 200: Conversation },
      },
    },
    (req) => conversations.markUnread(req.principal.workspaceId, req.params.id, actor(req)),
  );
  app.post(
    `${BASE}/:id/notes`,
    {
      config: { ...config, errors: [404] },
      schema: {
        tags: wasl,
        operationId: 'addConversationNote',
        summary: 'Add Internal Note',
        description: 'An internal note in the timeline (sourceType 4, direction 3); `@<userId>` mentions a workspace user; `authorUserId` writes it in a person\'s name.',
        params: IdParams,
        body: NoteBody,
        response: { 200: TimelineEvent },
      },
    },
    (req) => conversations.addNote(req.principal.workspaceId, req.params.id, req.body, actor(req)),
  );

  // Internal threads on a timeline event (the paths of Hatif's internal calls, spec §6).
  const THREADS = '/v1/conversations/events/:eventId/threads';
  app.post(
    `${THREADS}/messages`,
    {
      config: { ...config, errors: [404] },
      schema: {
        tags: wasl,
        operationId: 'postThreadMessage',
        summary: 'Post Thread Message',
        description: "Adds a message to the event's internal thread (opening it, or reopening a resolved one); `@<userId>` mentions a workspace user.",
        params: EventParams,
        body: ThreadMessageBody,
        response: { 200: ThreadMessage },
      },
    },
    (req) => threads.post(req.principal.workspaceId, req.params.eventId, req.body, actor(req)),
  );
  app.get(
    `${THREADS}/messages`,
    {
      config: { ...config, errors: [404] },
      schema: { tags: wasl, operationId: 'listThreadMessages', summary: 'List Thread Messages', params: EventParams, querystring: ThreadQuery, response: { 200: PagedThreadMessages } },
    },
    (req) => threads.messages(req.principal.workspaceId, req.params.eventId, pageRequest(req.query, THREAD_SORT_FIELDS, 'CreationTime ASC')),
  );
  for (const [verb, resolved] of [['resolve', true], ['unresolve', false]] as const) {
    app.put(
      `${THREADS}/${verb}`,
      {
        config: { ...config, errors: [404] },
        schema: { tags: wasl, operationId: `${verb}Thread`, summary: verb === 'resolve' ? 'Resolve Thread' : 'Unresolve Thread', params: EventParams, response: { 200: Thread } },
      },
      (req) => threads.setResolved(req.principal.workspaceId, req.params.eventId, resolved),
    );
  }
}
