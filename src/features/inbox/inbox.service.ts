import type { Static } from 'typebox';
import type { Transaction } from '../../db/transaction.js';
import { errors } from '../../lib/errors.js';
import { fold } from '../../lib/fold.js';
import type { Principal } from '../../lib/principal.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { parseListDate } from '../conversations/filters.js';
import type { InboxCursor, InboxFilter, InboxRepo } from './inbox.repo.js';
import type { InboxCountsQuery, InboxListQuery } from './inbox.schemas.js';

/** Counts are exact below this; at it they answer it and name themselves in `capped`. */
export const INBOX_COUNT_CAP = 10_000;
/** Folded characters a message search needs (a trigram index looks up nothing shorter). */
const MESSAGE_SEARCH_MIN = 3;
/**
 * The message search's time: a text whose trigrams are all common but which matches (almost)
 * nothing re-checks every candidate (1–8 s at 1,000,000 events, bench/inbox/README.md); past this
 * it answers what contacts it found and `messagesTimedOut`.
 */
export const MESSAGE_SEARCH_MS = 2000;
const QUERY_CANCELED = '57014';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS = { open: 1, closed: 2 } as const;
const CURSOR = /^(\d{1,15}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The opaque cursor: the last row's (lastActivityAt in ms, id), base64url. */
export const encodeCursor = (c: InboxCursor) => Buffer.from(`${c.at.getTime()}:${c.id}`).toString('base64url');
function decodeCursor(text: string): InboxCursor {
  const match = CURSOR.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) throw errors.invalidField('cursor', 'cursor: not a cursor this list gave; start again without it.');
  return { at: new Date(Number(match[1])), id: match[2]! };
}

type Query = Static<typeof InboxCountsQuery>;

/**
 * The inbox (issue 11): one workspace's conversations across channels by view (mine, unassigned,
 * all, mentions) and status, keyset-paged, and their counts. Who "me" is comes from the
 * principal: a person is themself; a service account names a workspace user with `userId`.
 */
export function createInboxService(deps: {
  repo: InboxRepo;
  transaction: Transaction;
  /** Get Conversation's object for each id (the conversations service). */
  views: ConversationsService['views'];
  /** Contacts matching free text (the contacts search): `{id, name, phoneNumber}`. */
  searchContacts: (workspaceId: string, text: string, take: number) => Promise<{ id: string; name: string | null; phoneNumber: string | null }[]>;
  /** Read at each call, so a test may lower them. */
  options?: { countCap: number; messageSearchMs: number };
}) {
  const { repo } = deps;
  const options = deps.options ?? { countCap: INBOX_COUNT_CAP, messageSearchMs: MESSAGE_SEARCH_MS };

  /** The viewer and the filters, checked: malformed or foreign ids → 400 naming the field. */
  async function read(principal: Principal, q: Query) {
    for (const field of ['channelId', 'tagId', 'assigneeId', 'userId'] as const) {
      const value = q[field];
      if (value !== undefined && !UUID.test(value)) throw errors.invalidField(field, `${field}: "${value}" is not an id.`);
    }
    const lower = (v: string | undefined) => v?.toLowerCase();
    const ids = { channelId: lower(q.channelId), tagId: lower(q.tagId), assigneeId: lower(q.assigneeId), userId: lower(q.userId) };
    let me: string | null;
    if (principal.kind === 'person') {
      if (ids.userId !== undefined && ids.userId !== principal.userId) throw errors.invalidField('userId', 'userId: a signed-in person sees their own views; leave userId out.');
      me = principal.userId;
      ids.userId = undefined;
    } else me = ids.userId ?? null;
    if (ids.channelId || ids.tagId || ids.assigneeId || ids.userId) {
      const known = await repo.known(principal.workspaceId, ids);
      const refused = ([['channelId', known.channel, 'a channel'], ['tagId', known.tag, 'a tag'], ['assigneeId', known.assignee, 'a user'], ['userId', known.user, 'a user']] as const).find(([, ok]) => !ok);
      if (refused) throw errors.invalidField(refused[0], `${refused[0]}: ${ids[refused[0]]} is not ${refused[2]} of this workspace.`);
    }
    const filter: InboxFilter = {
      ...(ids.channelId && { channelId: ids.channelId }),
      ...(ids.tagId && { tagId: ids.tagId }),
      ...(ids.assigneeId && { assigneeId: ids.assigneeId }),
      ...(q.from !== undefined && { from: parseListDate(q.from, 'from', 'from') }),
      ...(q.to !== undefined && { to: parseListDate(q.to, 'to', 'to') }),
      ...(q.lost && { lost: true }),
    };
    if (filter.from && filter.to && filter.from > filter.to) throw errors.invalidField('from', 'from is after to.');
    return { me, filter };
  }

  return {
    async list(principal: Principal, q: Static<typeof InboxListQuery>) {
      const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : null;
      const { me, filter } = await read(principal, q);
      if (!me && (q.view === 'mine' || q.view === 'mentions')) throw errors.invalidField('userId', `userId: a service account names whose "${q.view}" view it reads (a workspace user id).`);
      const rows = await repo.page(principal.workspaceId, { view: q.view, status: STATUS[q.status], me, filter, unreadOnly: q.unreadOnly === true, cursor, take: q.limit });
      const page = rows.slice(0, q.limit);
      const views = await deps.views(principal.workspaceId, page.map((r) => r.id));
      const byId = new Map(views.map((v) => [v.id, v]));
      const last = page.at(-1);
      return {
        items: page.flatMap((r) => {
          const v = byId.get(r.id);
          return v ? [{ ...v, mentionsUnread: r.mentions_unread }] : [];
        }),
        nextCursor: rows.length > q.limit && last ? encodeCursor({ at: last.last_activity_at, id: last.id }) : null,
      };
    },

    async counts(principal: Principal, q: Query) {
      const { me, filter } = await read(principal, q);
      const cap = options.countCap;
      // Index walks only, so each count reads at most `cap` entries (inbox.repo.ts).
      const raw = await deps.transaction(async (trx) => {
        await repo.walkIndexesOnly(trx);
        return repo.counts(principal.workspaceId, { me, filter, cap }, trx);
      });
      const capped: string[] = [];
      const cell = (name: string) => {
        const n = raw[name.replace('.', '_')] ?? 0;
        if (n >= cap) capped.push(name);
        return Math.min(n, cap);
      };
      const pair = (view: string) => ({ open: cell(`${view}.open`), closed: cell(`${view}.closed`) });
      return { mine: pair('mine'), unassigned: pair('unassigned'), all: pair('all'), mentions: pair('mentions'), unread: cell('unread'), capped };
    },

    /**
     * Contacts (the contacts search's free text) and messages (0022's folded trigram index), at
     * once. Messages need 3 folded characters: below that a trigram index has nothing to look up.
     */
    async search(principal: Principal, q: { q: string; limit: number }) {
      let messagesTimedOut = false;
      const timed = () =>
        deps
          .transaction(async (trx) => {
            await repo.timeLimit(trx, options.messageSearchMs);
            return repo.messages(principal.workspaceId, q.q, q.limit, trx);
          })
          .catch((err: unknown) => {
            if ((err as { code?: string }).code !== QUERY_CANCELED) throw err;
            messagesTimedOut = true;
            return [];
          });
      const [contacts, messages] = await Promise.all([
        deps.searchContacts(principal.workspaceId, q.q, q.limit),
        fold(q.q).length >= MESSAGE_SEARCH_MIN ? timed() : [],
      ]);
      return {
        contacts,
        messagesTimedOut,
        messages: messages.map((e) => ({
          eventId: e.id,
          conversationId: e.conversation_id,
          contactId: e.contact_id,
          contactName: e.contact_name,
          channelId: e.channel_id,
          sourceType: e.source_type,
          direction: e.direction,
          body: e.body,
          creationTime: e.creation_time,
        })),
      };
    },
  };
}
export type InboxService = ReturnType<typeof createInboxService>;
