import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/store.js';

/** The filters the inbox's list and counts share, checked by the service (ids of this workspace). */
export interface InboxFilter {
  channelId?: string;
  tagId?: string;
  assigneeId?: string;
  from?: Date;
  to?: Date;
  lost?: boolean;
}

export type InboxViewName = 'mine' | 'unassigned' | 'all' | 'mentions';

/** Where a page starts: after this (lastActivityAt, id), in descending order. */
export interface InboxCursor {
  at: Date;
  id: string;
}

const OPEN = 1;
const CLOSED = 2;

/** The shared filters and the workspace: each an index range or a semi-join (0021_inbox.ts). */
function base(workspaceId: string, f: InboxFilter): RawBuilder<unknown>[] {
  const parts = [sql`c.workspace_id = ${workspaceId}`];
  if (f.channelId) parts.push(sql`c.channel_id = ${f.channelId}`);
  if (f.assigneeId) parts.push(sql`c.assignee_key = ${f.assigneeId}`);
  if (f.tagId) parts.push(sql`EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id = ${f.tagId})`);
  if (f.from) parts.push(sql`c.last_activity_at >= ${f.from}`);
  if (f.to) parts.push(sql`c.last_activity_at <= ${f.to}`);
  if (f.lost) parts.push(sql`c.is_lost`);
  return parts;
}

/** A view for `me` (a workspace user; null: none, and then only `all` and `unassigned` are asked). */
function viewOf(view: InboxViewName, me: string | null): RawBuilder<unknown> | null {
  if (view === 'mine') return sql`c.assignee_key = ${me}`;
  if (view === 'unassigned') return sql`c.assignee_key IS NULL`;
  if (view === 'mentions') return sql`c.id IN (SELECT m.conversation_id FROM conversation_mentions m WHERE m.user_id = ${me} AND m.read_at IS NULL)`;
  return null;
}

const and = (parts: (RawBuilder<unknown> | null)[]) => sql.join(parts.filter((p): p is RawBuilder<unknown> => p !== null), sql` AND `);

/**
 * The inbox's reads over conversations (the conversations feature owns the rows; these are its
 * read model across channels, as its own lists read contacts and channels). Writes never happen here.
 */
export function createInboxRepo(db: Db) {
  return {
    /**
     * One page in (last_activity_at DESC, id DESC) order after `cursor` (keyset, never OFFSET):
     * ids, the keys the next cursor is made of, and the viewer's unread mentions in each (counted
     * for the page's rows only). `take` + 1 rows tell whether another page follows.
     */
    async page(workspaceId: string, input: { view: InboxViewName; status: number; me: string | null; filter: InboxFilter; unreadOnly: boolean; cursor: InboxCursor | null; take: number }) {
      const where = and([
        ...base(workspaceId, input.filter),
        sql`c.status = ${input.status}`,
        viewOf(input.view, input.me),
        input.unreadOnly ? sql`c.unread_count > 0` : null,
        input.cursor ? sql`(c.last_activity_at, c.id) < (${input.cursor.at}, ${input.cursor.id}::uuid)` : null,
      ]);
      const mentions = input.me
        ? sql<number>`(SELECT count(*)::int FROM conversation_mentions m WHERE m.user_id = ${input.me} AND m.conversation_id = p.id AND m.read_at IS NULL)`
        : sql<number>`0`;
      const { rows } = await sql<{ id: string; last_activity_at: Date; mentions_unread: number }>`
        SELECT p.id, p.last_activity_at, ${mentions} AS mentions_unread
        FROM (SELECT c.id, c.last_activity_at FROM conversations c WHERE ${where} ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ${input.take + 1}) p
        ORDER BY p.last_activity_at DESC, p.id DESC
      `.execute(db);
      return rows;
    },

    /**
     * For the rest of the caller's transaction, plans walk indexes only (no sequential or bitmap
     * scans, as `jobs_claim` in 0020): a capped count then stops at its cap whatever the planner's
     * statistics guess (a bitmap reads every matching entry before its LIMIT; a sequential scan
     * that expects matches early may read the whole table finding none).
     */
    walkIndexesOnly: async (trx: Db) => {
      await sql`SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`.execute(trx);
    },

    /**
     * Every count of the inbox in one statement, each reading at most `cap` index entries: the
     * views (`mine` and `mentions` only with a viewer) × open / closed, and the open conversations
     * with something unread. A count equal to `cap` means "at least". Named `<view>_<status>` and `unread`.
     */
    async counts(workspaceId: string, input: { me: string | null; filter: InboxFilter; cap: number }, trx: Db = db) {
      const shared = base(workspaceId, input.filter);
      const count = (...extra: (RawBuilder<unknown> | null)[]) => sql<number>`(SELECT count(*)::int FROM (SELECT 1 FROM conversations c WHERE ${and([...shared, ...extra])} LIMIT ${input.cap}) s)`;
      const cells: [string, RawBuilder<number>][] = [];
      for (const view of ['mine', 'unassigned', 'all', 'mentions'] as const) {
        if (!input.me && (view === 'mine' || view === 'mentions')) continue;
        cells.push([`${view}_open`, count(sql`c.status = ${OPEN}`, viewOf(view, input.me))]);
        cells.push([`${view}_closed`, count(sql`c.status = ${CLOSED}`, viewOf(view, input.me))]);
      }
      cells.push(['unread', count(sql`c.status = ${OPEN}`, sql`c.unread_count > 0`)]);
      const { rows } = await sql<Record<string, number>>`SELECT ${sql.join(cells.map(([name, value]) => sql`${value} AS ${sql.raw(name)}`))}`.execute(trx);
      return rows[0]!;
    },

    /**
     * Events whose text holds `text`, newest first: messages (and their captions), notes, anything
     * with a body. Both sides folded by `search_fold` (0022_message_search.ts) in the store, the
     * query's LIKE wildcards escaped: the trigram index finds the candidates at any size.
     */
    async messages(workspaceId: string, text: string, take: number, trx: Db = db) {
      const { rows } = await sql<{ id: string; conversation_id: string; contact_id: string; channel_id: string; body: string; creation_time: Date; source_type: number; direction: number; contact_name: string | null }>`
        SELECT e.id, e.conversation_id, e.contact_id, e.channel_id, e.body, e.creation_time, e.source_type, e.direction,
               (SELECT k.name FROM contacts k WHERE k.id = e.contact_id) AS contact_name
        FROM conversation_events e
        WHERE e.body IS NOT NULL
          AND search_fold(e.body) LIKE '%' || replace(replace(replace(search_fold(${text}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'
          AND e.workspace_id = ${workspaceId}
        ORDER BY e.creation_time DESC, e.id DESC
        LIMIT ${take}
      `.execute(trx);
      return rows;
    },

    /** For the rest of the caller's transaction, a statement that runs longer than `ms` is cancelled (SQLSTATE 57014). */
    timeLimit: async (trx: Db, ms: number) => {
      await sql`SELECT set_config('statement_timeout', ${String(ms)}, true)`.execute(trx);
    },

    /**
     * Which of the ids a request names are this workspace's (a channel, a tag, a workspace user):
     * one statement on primary keys, asked only when a filter names one.
     */
    async known(workspaceId: string, ids: { channelId?: string; tagId?: string; assigneeId?: string; userId?: string }) {
      const probe = (table: 'channels' | 'tags' | 'workspace_users', id: string | undefined) =>
        id ? sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table(table)} x WHERE x.id = ${id} AND x.workspace_id = ${workspaceId})` : sql<boolean>`true`;
      const { rows } = await sql<{ channel: boolean; tag: boolean; assignee: boolean; user: boolean }>`
        SELECT ${probe('channels', ids.channelId)} AS channel, ${probe('tags', ids.tagId)} AS tag,
               ${probe('workspace_users', ids.assigneeId)} AS assignee, ${probe('workspace_users', ids.userId)} AS "user"
      `.execute(db);
      return rows[0]!;
    },
  };
}
export type InboxRepo = ReturnType<typeof createInboxRepo>;
