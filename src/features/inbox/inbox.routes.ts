import type { App } from '../../http/types.js';
import type { InboxService } from './inbox.service.js';
import { InboxCounts, InboxCountsQuery, InboxListQuery, InboxPage, InboxSearchQuery, InboxSearchResult } from './inbox.schemas.js';

/** The inbox's reads (issue 11): the list across channels, its counts, and search. */
export function inboxRoutes(app: App, { inbox }: { inbox: InboxService }) {
  const config = { auth: 'bearer' } as const;
  const tags = ['Wasl'];
  app.get(
    '/v1/inbox/conversations',
    {
      config,
      schema: {
        tags,
        operationId: 'listInboxConversations',
        summary: 'Inbox: list conversations',
        description:
          "One page of the workspace's conversations across channels, newest activity first (lastActivityAt, then id, descending), paged by `cursor` (keyset). " +
          'view=mine|mentions needs a viewer: a signed-in person is one; a service account passes `userId` (else 400 naming userId). ' +
          'A channelId, tagId, assigneeId or userId not of this workspace → 400 naming it.',
        querystring: InboxListQuery,
        response: { 200: InboxPage },
      },
    },
    (req) => inbox.list(req.principal, req.query),
  );
  app.get(
    '/v1/inbox/counts',
    {
      config,
      schema: {
        tags,
        operationId: 'inboxCounts',
        summary: 'Inbox: counts',
        description:
          'How many conversations each view has, open and closed, and how many open ones are unread, with the list\'s filters. Exact below 10,000; a count that reaches it answers 10000 and is named in `capped`. ' +
          'A service account without userId gets 0 for mine and mentions.',
        querystring: InboxCountsQuery,
        response: { 200: InboxCounts },
      },
    },
    (req) => inbox.counts(req.principal, req.query),
  );
  app.get(
    '/v1/inbox/search',
    {
      config,
      schema: {
        tags,
        operationId: 'inboxSearch',
        summary: 'Inbox: search',
        description: 'Contacts by free text (name, phone or email), as Search Contacts\' `query`, and the workspace\'s messages and notes whose text holds it (folded: case, accents and Arabic spelling variants), newest first.',
        querystring: InboxSearchQuery,
        response: { 200: InboxSearchResult },
      },
    },
    (req) => inbox.search(req.principal, req.query),
  );
}
