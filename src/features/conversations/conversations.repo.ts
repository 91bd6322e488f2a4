import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ConversationEventRow, ConversationMentionsTable, ConversationRow, ConversationsTable, NewConversationEvent, ThreadMessageRow } from '../../db/types.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { orderBy } from '../../db/paging.js';
import { estimate } from '../../db/estimate.js';
import { escapeLike } from '../../lib/fold.js';
import { errors } from '../../lib/errors.js';
import type { PageRequest } from '../../lib/paging.js';
import type { Insertable, Updateable } from 'kysely';

/** Up to this many matches a list's `totalCount` is counted exactly; past it, the planner's estimate. */
export const EXACT_COUNT_UP_TO = 10_000;

/** List Conversations' filters (spec §3.26), already checked and folded by the service. */
export interface ConversationFilter {
  status?: number;
  /** Assigned to any of these users or AI agents. */
  assigneeIds?: string[];
  /** Unassigned (no user and no AI agent); with `assigneeIds`, either. */
  unassigned?: boolean;
  contactIds?: string[];
  /** Has any of these tags. */
  tagIds?: string[];
  /** The contact's folded name contains it. */
  name?: string;
  /** The contact's phone digits contain it. */
  phoneDigits?: string;
  /** Last activity at or after / at or before. */
  from?: Date;
  to?: Date;
  isLost?: boolean;
}

/** A conversation with what its answer shows of its contact, channel, assignees and tags. */
export interface ConversationView extends ConversationRow {
  contact_name: string;
  contact_type: number;
  contact_phone: string;
  channel_name: string;
  channel_type: number;
  channel_icon: string | null;
  channel_phone: string | null;
  assignee_name: string | null;
  ai_agent_name: string | null;
  tags: { id: string; name: string; icon: string | null; isPinned: boolean; creationTime: Date }[];
}

export interface TimelineRow extends ConversationEventRow {
  reply_to_body: string | null;
}

const uuids = (ids: string[]) => sql`${ids}::uuid[]`;
/** `= $1` for one id (an index range the planner knows is in order), `= ANY($1)` for several. */
const oneOf = (ids: string[]) => (ids.length === 1 ? sql`= ${ids[0]}` : sql`= ANY(${uuids(ids)})`);

/**
 * The WHERE of a channel's list (each filter an index range or a semi-join; README.md has the
 * plans). The workspace is checked once, on the channel (a one-time filter), not on each row: the
 * conversations' indexes then hold every column a filter reads, so the bounded count reads only
 * the index (bench/conversations/README.md).
 */
function where(workspaceId: string, channelId: string, f: ConversationFilter): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [
    sql`c.channel_id = ${channelId}`,
    sql`EXISTS (SELECT 1 FROM channels w WHERE w.id = ${channelId} AND w.workspace_id = ${workspaceId})`,
  ];
  if (f.status !== undefined) parts.push(sql`c.status = ${f.status}`);
  // assignee_key is the user or the AI agent (never both), so either is one index range.
  const assignee: RawBuilder<unknown>[] = [];
  if (f.assigneeIds?.length) assignee.push(sql`c.assignee_key ${oneOf(f.assigneeIds)}`);
  if (f.unassigned) assignee.push(sql`c.assignee_key IS NULL`);
  if (assignee.length) parts.push(sql`(${sql.join(assignee, sql` OR `)})`);
  if (f.contactIds?.length) parts.push(sql`c.contact_id ${oneOf(f.contactIds)}`);
  if (f.tagIds?.length) parts.push(sql`EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id ${oneOf(f.tagIds)})`);
  const contact: RawBuilder<unknown>[] = [];
  if (f.name) contact.push(sql`k.search_name LIKE ${`%${escapeLike(f.name)}%`}`);
  if (f.phoneDigits) contact.push(sql`k.phone_number LIKE ${`%${escapeLike(f.phoneDigits)}%`}`);
  if (contact.length) {
    parts.push(sql`c.contact_id IN (SELECT k.id FROM contacts k WHERE k.workspace_id = ${workspaceId} AND k.deletion_time IS NULL AND ${sql.join(contact, sql` AND `)})`);
  }
  if (f.from) parts.push(sql`c.last_activity_at >= ${f.from}`);
  if (f.to) parts.push(sql`c.last_activity_at <= ${f.to}`);
  if (f.isLost !== undefined) parts.push(f.isLost ? sql`c.is_lost` : sql`NOT c.is_lost`);
  return sql.join(parts, sql` AND `);
}

/** The answer's columns for conversations `c` (one statement: contact, channel, assignees, tags by name). */
const VIEW_COLUMNS = sql`
  c.*, k.name AS contact_name, k.contact_type, k.phone_number AS contact_phone,
  ch.name AS channel_name, ch.type AS channel_type, ch.icon AS channel_icon, ch.phone_number AS channel_phone,
  u.name AS assignee_name, a.name AS ai_agent_name,
  coalesce((
    SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'icon', t.icon, 'isPinned', t.is_pinned, 'creationTime', t.creation_time) ORDER BY t.name, t.id)
    FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.conversation_id = c.id
  ), '[]') AS tags`;
const VIEW_JOINS = sql`
  JOIN contacts k ON k.id = c.contact_id
  JOIN channels ch ON ch.id = c.channel_id
  LEFT JOIN workspace_users u ON u.id = c.assignee_id
  LEFT JOIN workspace_users a ON a.id = c.ai_agent_id`;

type JsonTag = Omit<ConversationView['tags'][number], 'creationTime'> & { creationTime: string };
/** Tags come back as JSON (text on PGlite, parsed on the server), their times as strings. */
function withTags(row: ConversationView): ConversationView {
  const tags = (typeof row.tags === 'string' ? JSON.parse(row.tags) : row.tags) as unknown as JsonTag[];
  return { ...row, tags: tags.map((t) => ({ ...t, creationTime: new Date(t.creationTime) })) };
}

/**
 * Conversations, their timelines, tags, threads and mentions. Every query is scoped by
 * workspace. Lists read (never write) the contacts, channels, users and tags they show.
 */
export function createConversationsRepo(db: Db) {
  return {
    /** The new open conversation, or the one already open for (channel, contact) (concurrent creates meet here). */
    async insertOpen(row: Insertable<ConversationsTable>, trx: Db = db): Promise<{ row: ConversationRow; created: boolean }> {
      const inserted = await trx
        .insertInto('conversations')
        .values(row)
        .onConflict((oc) => oc.columns(['channel_id', 'contact_id']).where('status', '=', 1).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { row: inserted, created: true };
      const open = await this.findOpen(row.workspace_id, row.channel_id, row.contact_id, trx);
      if (!open) throw new Error(`conversation insert for ${row.contact_id} on ${row.channel_id}: no conflict and no open row`);
      return { row: open, created: false };
    },

    find: (workspaceId: string, id: string, trx: Db = db) =>
      trx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    /** The row, locked until the transaction ends: events on one conversation are appended one at a time. */
    lock: (workspaceId: string, id: string, trx: Db) =>
      trx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst(),

    findOpen: (workspaceId: string, channelId: string, contactId: string, trx: Db = db) =>
      trx
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('channel_id', '=', channelId)
        .where('contact_id', '=', contactId)
        .where('status', '=', 1)
        .executeTakeFirst(),

    /** The contact's most recent conversation on the channel, open or closed. */
    latest: (workspaceId: string, channelId: string, contactId: string, trx: Db = db) =>
      trx
        .selectFrom('conversations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', contactId)
        .where('channel_id', '=', channelId)
        .orderBy('creation_time', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst(),

    update: (workspaceId: string, id: string, patch: Updateable<ConversationsTable>, trx: Db = db) =>
      trx.updateTable('conversations').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

    /** Conversations with everything their answer shows, in the order of `ids`. */
    async views(workspaceId: string, ids: string[], trx: Db = db): Promise<ConversationView[]> {
      if (!ids.length) return [];
      const rows = await sql<ConversationView>`
        SELECT ${VIEW_COLUMNS} FROM conversations c ${VIEW_JOINS}
        WHERE c.workspace_id = ${workspaceId} AND c.id = ANY(${uuids(ids)})
      `.execute(trx);
      const byId = new Map(rows.rows.map((r) => [r.id, withTags(r)]));
      return ids.map((id) => byId.get(id)).filter((r): r is ConversationView => r !== undefined);
    },

    /**
     * A page of a channel's conversations, shown in one statement, and their number: counted up
     * to EXACT_COUNT_UP_TO matches (a bounded walk, run beside the page), past that the planner's
     * estimate (`exact: false`, never less than what the pages have shown plus one).
     */
    async list(workspaceId: string, channelId: string, filter: ConversationFilter, page: PageRequest, trx: Db = db) {
      const condition = where(workspaceId, channelId, filter);
      const [rows, counted] = await Promise.all([
        sql<ConversationView>`
          SELECT ${VIEW_COLUMNS}
          FROM (SELECT c.* FROM conversations c WHERE ${condition} ORDER BY ${orderBy(page.sort, 'c')} OFFSET ${page.skip} LIMIT ${page.take}) c
          ${VIEW_JOINS}
          ORDER BY ${orderBy(page.sort, 'c')}
        `.execute(trx),
        sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT 1 FROM conversations c WHERE ${condition} LIMIT ${EXACT_COUNT_UP_TO + 1}) s`.execute(trx),
      ]);
      const items = rows.rows.map(withTags);
      const n = counted.rows[0]!.n;
      if (n <= EXACT_COUNT_UP_TO) return { totalCount: n, exact: true, items };
      const planned = await estimate(sql`SELECT c.id FROM conversations c WHERE ${condition}`, trx);
      const shown = page.skip + items.length + (items.length === page.take ? 1 : 0);
      return { totalCount: Math.max(planned.rows, n, shown), exact: false, items };
    },

    // Tags.
    /** Which of `tagIds` are tags of this workspace. */
    knownTags: async (workspaceId: string, tagIds: string[], trx: Db = db) =>
      tagIds.length
        ? (await trx.selectFrom('tags').select('id').where('workspace_id', '=', workspaceId).where('id', 'in', tagIds).execute()).map((t) => t.id)
        : [],

    tagIds: async (conversationId: string, trx: Db = db) =>
      (await trx.selectFrom('conversation_tags').select('tag_id').where('conversation_id', '=', conversationId).execute()).map((t) => t.tag_id),

    async setTags(conversationId: string, remove: string[], add: string[], at: Date, trx: Db = db) {
      if (remove.length) await trx.deleteFrom('conversation_tags').where('conversation_id', '=', conversationId).where('tag_id', 'in', remove).execute();
      try {
        if (add.length) await trx.insertInto('conversation_tags').values(add.map((tag_id) => ({ conversation_id: conversationId, tag_id, creation_time: at }))).onConflict((oc) => oc.doNothing()).execute();
      } catch (err) {
        // A tag deleted since it was checked.
        if (isForeignKeyViolation(err)) throw errors.invalidField('tagIds', 'tagIds: a tag was deleted meanwhile; read the tags again.');
        throw err;
      }
    },

    // Users (workspace people and AI agents) that assignments and mentions name.
    users: async (workspaceId: string, ids: string[], trx: Db = db) =>
      ids.length
        ? trx.selectFrom('workspace_users').select(['id', 'name', 'email', 'is_ai_agent']).where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute()
        : [],

    channelExists: async (workspaceId: string, channelId: string, trx: Db = db) =>
      !!(await trx.selectFrom('channels').select('id').where('workspace_id', '=', workspaceId).where('id', '=', channelId).executeTakeFirst()),

    // Events.
    insertEvent: (row: NewConversationEvent, trx: Db = db) => trx.insertInto('conversation_events').values(row).returningAll().executeTakeFirstOrThrow(),

    findEvent: (workspaceId: string, id: string, trx: Db = db) =>
      trx.selectFrom('conversation_events').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    lockEvent: (workspaceId: string, id: string, trx: Db) =>
      trx.selectFrom('conversation_events').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst(),

    /** Whether an event of these source types comes after (creation time, id) in the conversation's timeline. */
    async eventAfter(conversationId: string, at: Date, id: string, sourceTypes: number[], trx: Db = db) {
      const row = await trx
        .selectFrom('conversation_events')
        .select('id')
        .where('conversation_id', '=', conversationId)
        .where(sql<boolean>`(creation_time, id) > (${at}, ${id}::uuid)`)
        .where('source_type', 'in', sourceTypes)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    findEventByExternalId: (channelId: string, externalId: string, trx: Db = db) =>
      trx.selectFrom('conversation_events').selectAll().where('channel_id', '=', channelId).where('external_id', '=', externalId).executeTakeFirst(),

    updateEvent: (workspaceId: string, id: string, patch: Updateable<NewConversationEvent>, trx: Db = db) =>
      trx.updateTable('conversation_events').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

    /**
     * A page of a timeline. The page's ids come from the index alone (`conversation_events_timeline`
     * holds id), then only those rows are read, so the last page costs about what the first does.
     */
    async timeline(conversationId: string, page: PageRequest, trx: Db = db): Promise<TimelineRow[]> {
      const order = orderBy(page.sort, 'e');
      const rows = await sql<TimelineRow>`
        SELECT e.*, r.body AS reply_to_body
        FROM (SELECT e.id FROM conversation_events e WHERE e.conversation_id = ${conversationId} ORDER BY ${order} OFFSET ${page.skip} LIMIT ${page.take}) p
        JOIN conversation_events e ON e.id = p.id
        LEFT JOIN conversation_events r ON r.id = e.reply_to_event_id
        ORDER BY ${order}
      `.execute(trx);
      return rows.rows;
    },

    // Threads and mentions.
    insertThreadMessage: (row: ThreadMessageRow, trx: Db = db) => trx.insertInto('conversation_thread_messages').values(row).returningAll().executeTakeFirstOrThrow(),

    async threadMessages(eventId: string, page: PageRequest, trx: Db = db) {
      return trx
        .selectFrom('conversation_thread_messages')
        .selectAll()
        .where('event_id', '=', eventId)
        .orderBy(orderBy(page.sort, 'conversation_thread_messages'))
        .offset(page.skip)
        .limit(page.take)
        .execute();
    },

    async insertMentions(rows: Insertable<ConversationMentionsTable>[], trx: Db = db) {
      if (rows.length) await trx.insertInto('conversation_mentions').values(rows).execute();
    },
  };
}
export type ConversationsRepo = ReturnType<typeof createConversationsRepo>;
