import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ConversationEventRow, ConversationMentionsTable, ConversationRow, ConversationsTable, NewConversationEvent, ThreadMessageRow } from '../../db/types.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { orderBy } from '../../db/paging.js';
import { COUNT_COST_LIMIT, estimate } from '../../db/estimate.js';
import { escapeLike } from '../../lib/fold.js';
import { codes, EventSourceType } from '../../lib/enums.js';
import { prepared, run } from '../../db/prepared.js';
import type { Statement } from '../../db/transaction.js';
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
  /** The name of the person or AI agent it is assigned to. */
  assignee_name: string | null;
  tags: { id: string; name: string; icon: string | null; isPinned: boolean; creationTime: Date }[];
}

export interface TimelineRow extends ConversationEventRow {
  reply_to_body: string | null;
}

/** A new event's columns as `appendEvent` takes them: its conversation gives the contact and the channel. */
export type NewEventRow = Omit<ConversationEventRow, 'contact_id' | 'channel_id' | 'thread_resolved' | 'thread_message_count'>;

/** The columns of a new event that `APPEND` takes as parameters, in order, with their types. */
const EVENT_PARAMS = {
  id: 'uuid', workspace_id: 'uuid', conversation_id: 'uuid', source_type: 'smallint', source_id: 'uuid', direction: 'smallint',
  creation_time: 'timestamptz', status: 'text', error_code: 'integer', failure_reason: 'text', is_ai: 'boolean', attachment: 'text',
  owner_user_id: 'uuid', ai_agent_id: 'uuid', duration_seconds: 'integer', size_bytes: 'integer', ringing_seconds: 'integer', body: 'text',
  handler_name: 'text', message_type: 'text', mime_type: 'text', external_id: 'text', ai_summary: 'jsonb', reply_to_event_id: 'uuid',
  location: 'jsonb', assignation: 'jsonb', data: 'jsonb', thread_id: 'uuid', last_modification_time: 'timestamptz',
} as const satisfies Record<keyof NewEventRow, string>;
const EVENT_COLUMNS = Object.keys(EVENT_PARAMS) as (keyof NewEventRow)[];
/** `$n::type` of an event column, then of the facts after them. */
const param = (column: keyof NewEventRow) => `$${EVENT_COLUMNS.indexOf(column) + 1}::${EVENT_PARAMS[column]}`;
const fact = (n: number, type: string) => `$${EVENT_COLUMNS.length + n}::${type}`;

/** What a known recipient's send checks as it writes (`appendEventStatement`): the contact's number, and the window's start (null: no window). */
export interface KnownRecipientCheck {
  phone: string;
  inboundAfter: Date | null;
}

/** A known recipient's conversation as the send knew it: facts 5 and 6 the contact and channel, 7 the contact's number, 8 the window's start (or null). */
const knownRecipient = `status = 1 AND contact_id = ${fact(5, 'uuid')} AND channel_id = ${fact(6, 'uuid')}
  AND (${fact(8, 'timestamptz')} IS NULL OR last_inbound_at > ${fact(8, 'timestamptz')})
  AND EXISTS (SELECT 1 FROM contacts k WHERE k.id = ${fact(5, 'uuid')} AND k.workspace_id = ${param('workspace_id')} AND k.phone_number = ${fact(7, 'text')} AND k.deletion_time IS NULL)`;

/** What the summary rule needs to know of an event beyond its columns (events.service.ts decides them). */
export interface AppendFacts {
  /** A WhatsApp message or a call: it moves the lost flag. */
  customerFacing: boolean;
  /** A customer's inbound message or call: one more unread, and the 24-hour window starts again. */
  inboundCustomer: boolean;
  /** Whether this event, if it is the last customer event, leaves the conversation waiting on the business. */
  lost: boolean;
  /** The event's body as `LastEventPreview` shows it. */
  preview: string | null;
}

/**
 * The summary rule, in SQL, from the row's own current values: one more event; the latest
 * activity; the event becomes the last event unless a later one is already there (a late
 * webhook), and then the run of same-kind events grows or starts again; a customer event sets the
 * lost flag when it is the last customer event (a late one: when no customer event follows it); an
 * inbound customer event adds an unread and may start the 24-hour window. The event takes its
 * contact and channel from the conversation, and is written only if the conversation is there.
 * `known`: a send to a known recipient (migration 0023) — the conversation is updated only while it
 * is the open one of that contact (by its number) on that channel, inside the window when one is
 * given, and the statement fails with STALE_RECIPIENT when it is not.
 */
function appendText(returning: string, eventFrom: 'summary' | 'values' | 'known' = 'summary') {
  const [id, at, source, direction] = [param('id'), param('creation_time'), param('source_type'), param('direction')];
  const [customerFacing, inboundCustomer, lost, preview] = [fact(1, 'boolean'), fact(2, 'boolean'), fact(3, 'boolean'), fact(4, 'text')];
  const newer = `(last_event_at IS NULL OR ${at} >= last_event_at)`;
  const { Call, WhatsApp } = codes(EventSourceType);
  return prepared(`
    WITH summary AS (
      UPDATE conversations SET
        events_count = events_count + 1,
        last_activity_at = GREATEST(last_activity_at, ${at}),
        last_events_count = CASE WHEN ${newer} THEN
          CASE WHEN last_event_source_type = ${source} AND last_event_direction = ${direction} THEN last_events_count + 1 ELSE 1 END
          ELSE last_events_count END,
        last_event_id = CASE WHEN ${newer} THEN ${id} ELSE last_event_id END,
        last_event_source_type = CASE WHEN ${newer} THEN ${source} ELSE last_event_source_type END,
        last_event_direction = CASE WHEN ${newer} THEN ${direction} ELSE last_event_direction END,
        last_event_status = CASE WHEN ${newer} THEN ${param('status')} ELSE last_event_status END,
        last_event_preview = CASE WHEN ${newer} THEN ${preview} ELSE last_event_preview END,
        last_event_at = CASE WHEN ${newer} THEN ${at} ELSE last_event_at END,
        is_lost = CASE
          WHEN NOT ${customerFacing} THEN is_lost
          WHEN ${newer} THEN ${lost}
          WHEN NOT EXISTS (
            SELECT 1 FROM conversation_events e
            WHERE e.conversation_id = ${param('conversation_id')} AND (e.creation_time, e.id) > (${at}, ${id}) AND e.source_type IN (${Call}, ${WhatsApp})
          ) THEN ${lost}
          ELSE is_lost END,
        unread_count = CASE WHEN ${inboundCustomer} THEN unread_count + 1 ELSE unread_count END,
        last_inbound_at = CASE WHEN ${inboundCustomer} THEN GREATEST(last_inbound_at, ${at}) ELSE last_inbound_at END
      WHERE workspace_id = ${param('workspace_id')} AND id = ${param('conversation_id')}${eventFrom === 'known' ? ` AND ${knownRecipient}` : ''}
      RETURNING ${returning}
    ), event AS (
      INSERT INTO conversation_events (contact_id, channel_id, ${EVENT_COLUMNS.join(', ')})
      ${eventFrom === 'values'
        ? `VALUES (${fact(5, 'uuid')}, ${fact(6, 'uuid')}, ${EVENT_COLUMNS.map(param).join(', ')})`
        : `SELECT s.contact_id, s.channel_id, ${EVENT_COLUMNS.map(param).join(', ')} FROM summary s`}
    )
    ${eventFrom === 'known' ? 'SELECT whatsapp_known_recipient((SELECT count(*) FROM summary))' : 'SELECT * FROM summary'}`);
}
/** A live contact by number with its open conversation on a channel (or, `LATEST`, the open one else the newest), locked: every send and inbound message starts here. */
function contactText(which: string) {
  return prepared(`
    SELECT k.id AS found_contact_id, c.*
    FROM contacts k
    LEFT JOIN LATERAL (SELECT * FROM conversations x WHERE x.workspace_id = $1::uuid AND x.channel_id = $2::uuid AND x.contact_id = k.id ${which} FOR UPDATE) c ON true
    WHERE k.workspace_id = $1::uuid AND k.phone_number = $3::text AND k.deletion_time IS NULL`);
}
const CONTACT_OPEN = contactText('AND x.status = 1');
const CONTACT_LATEST = contactText('ORDER BY x.status = 1 DESC, x.creation_time DESC, x.id DESC LIMIT 1');

const APPEND = appendText('id, contact_id, channel_id');
const APPEND_RETURNING = appendText('*');
/** Sent with a COMMIT: the contact and channel given (facts 5 and 6), so a conversation gone fails the statement (its foreign key) instead of writing nothing. */
const APPEND_STAGED = appendText('id', 'values');
/** `APPEND_STAGED` for a known recipient's send: the conversation checked as it updates it (`knownRecipient`). */
const APPEND_KNOWN = appendText('id, contact_id, channel_id', 'known');
/** A jsonb value as JSON text (node-postgres would send an array as a PostgreSQL array). */
const jsonParam = (v: unknown) => (v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v);

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

/**
 * The answer's columns for conversations `c`: what it shows of its contact, channel, assignee and
 * tags, each a scalar subquery on a primary key (half the planning time of the same joins, and a
 * page's subqueries run for its rows only: callers page in a subquery first).
 */
const VIEW_COLUMNS = sql`
  c.*,
  (SELECT json_build_object('name', k.name, 'type', k.contact_type, 'phone', k.phone_number) FROM contacts k WHERE k.id = c.contact_id) AS contact,
  (SELECT json_build_object('name', ch.name, 'type', ch.type, 'icon', ch.icon, 'phone', ch.phone_number) FROM channels ch WHERE ch.id = c.channel_id) AS channel,
  (SELECT u.name FROM workspace_users u WHERE u.id = c.assignee_key) AS assignee_name,
  coalesce((
    SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'icon', t.icon, 'isPinned', t.is_pinned, 'creationTime', t.creation_time) ORDER BY t.name, t.id)
    FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.conversation_id = c.id
  ), '[]') AS tags`;

interface ViewRow extends ConversationRow {
  contact: Json<{ name: string; type: number; phone: string }>;
  channel: Json<{ name: string; type: number; icon: string | null; phone: string | null }>;
  assignee_name: string | null;
  tags: Json<{ id: string; name: string; icon: string | null; isPinned: boolean; creationTime: string }[]>;
}
/** JSON comes back as text on PGlite and parsed on the server. */
type Json<T> = T | string;
const parsed = <T>(value: Json<T>): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function toView({ contact, channel, tags, ...row }: ViewRow): ConversationView {
  const k = parsed(contact);
  const ch = parsed(channel);
  return {
    ...row,
    contact_name: k.name,
    contact_type: k.type,
    contact_phone: k.phone,
    channel_name: ch.name,
    channel_type: ch.type,
    channel_icon: ch.icon,
    channel_phone: ch.phone,
    tags: parsed(tags).map((t) => ({ ...t, creationTime: new Date(t.creationTime) })),
  };
}

/** The conversations of one contact on one channel. */
const ofPair = (trx: Db, workspaceId: string, channelId: string, contactId: string) =>
  trx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('channel_id', '=', channelId).where('contact_id', '=', contactId);

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
      const open = await this.findOpen(row.workspace_id, row.channel_id, row.contact_id, trx, true);
      if (!open) throw new Error(`conversation insert for ${row.contact_id} on ${row.channel_id}: no conflict and no open row`);
      return { row: open, created: false };
    },

    find: (workspaceId: string, id: string, trx: Db = db) =>
      trx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    /** The row, locked until the transaction ends: events on one conversation are appended one at a time. */
    lock: (workspaceId: string, id: string, trx: Db) =>
      trx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst(),

    /** The open conversation of a contact on a channel; `lock` takes its row lock too (what `events.append` needs). */
    findOpen: (workspaceId: string, channelId: string, contactId: string, trx: Db = db, lock = false) => {
      const query = ofPair(trx, workspaceId, channelId, contactId).where('status', '=', 1);
      return (lock ? query.forUpdate() : query).executeTakeFirst();
    },

    /** The contact's open conversation on the channel, else its most recent closed one; `lock` takes its row lock. */
    openOrLatest: (workspaceId: string, channelId: string, contactId: string, trx: Db = db, lock = false) => {
      const query = ofPair(trx, workspaceId, channelId, contactId).orderBy(sql`status = 1`, 'desc').orderBy('creation_time', 'desc').orderBy('id', 'desc').limit(1);
      return (lock ? query.forUpdate() : query).executeTakeFirst();
    },

    /**
     * The live contact with this phone (E.164) and, in the same statement, its conversation on the
     * channel, locked: the open one, or with `latest` the open one else the most recent closed one
     * (what `open(…, { reopen })` reopens). Undefined when there is no such contact; `conversation`
     * null when it has none on the channel. A send and an inbound message start here.
     */
    async contactConversation(workspaceId: string, channelId: string, phone: string, latest: boolean, trx: Db) {
      const rows = await run<ConversationRow & { found_contact_id: string }>(trx, latest ? CONTACT_LATEST : CONTACT_OPEN, [workspaceId, channelId, phone]);
      const row = rows[0];
      if (!row) return undefined;
      const { found_contact_id: contactId, ...conversation } = row;
      return { contactId, conversation: conversation.id === null ? null : (conversation as ConversationRow) };
    },

    /** The contact's last inbound message or call on the channel, over all its conversations (WhatsApp's window). */
    lastInboundAt: async (workspaceId: string, channelId: string, contactId: string, trx: Db = db) =>
      (await ofPair(trx, workspaceId, channelId, contactId).clearSelect().select((eb) => eb.fn.max('last_inbound_at').as('at')).executeTakeFirst())?.at ?? null,

    update: (workspaceId: string, id: string, patch: Updateable<ConversationsTable>, trx: Db = db) =>
      trx.updateTable('conversations').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

    /** Conversations with everything their answer shows, in the order of `ids`. */
    async views(workspaceId: string, ids: string[], trx: Db = db): Promise<ConversationView[]> {
      if (!ids.length) return [];
      const rows = await sql<ViewRow>`
        SELECT ${VIEW_COLUMNS} FROM conversations c WHERE c.workspace_id = ${workspaceId} AND c.id = ANY(${uuids(ids)})
      `.execute(trx);
      const byId = new Map(rows.rows.map((r) => [r.id, toView(r)]));
      return ids.map((id) => byId.get(id)).filter((r): r is ConversationView => r !== undefined);
    },

    /**
     * A page of a channel's conversations, shown in one statement, and their number
     * (docs/architecture.md "Lists over large tables"): the planner's estimate is asked beside the
     * page; a short page ends the list (the number is known); an estimate of EXACT_COUNT_UP_TO or
     * more, or a count the planner prices at COUNT_COST_LIMIT or more (a common name's contacts
     * joined to the channel), is the answer (`exact: false`, never less than what the pages have
     * shown plus one); otherwise the matches are counted, at most EXACT_COUNT_UP_TO + 1 of them.
     */
    async list(workspaceId: string, channelId: string, filter: ConversationFilter, page: PageRequest, trx: Db = db) {
      const condition = where(workspaceId, channelId, filter);
      const [rows, planned] = await Promise.all([
        sql<ViewRow>`
          SELECT ${VIEW_COLUMNS}
          FROM (SELECT c.* FROM conversations c WHERE ${condition} ORDER BY ${orderBy(page.sort, 'c')} OFFSET ${page.skip} LIMIT ${page.take}) c
          ORDER BY ${orderBy(page.sort, 'c')}
        `.execute(trx),
        estimate(sql`SELECT c.id FROM conversations c WHERE ${condition}`, trx),
      ]);
      const items = rows.rows.map(toView);
      const seen = page.skip + items.length;
      if (items.length < page.take && (items.length > 0 || page.skip === 0)) return { totalCount: seen, exact: true, items };
      const atLeast = items.length === page.take ? seen + 1 : seen;
      if (planned.rows >= EXACT_COUNT_UP_TO || planned.cost >= COUNT_COST_LIMIT) return { totalCount: Math.max(planned.rows, atLeast), exact: false, items };
      const counted = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT 1 FROM conversations c WHERE ${condition} LIMIT ${EXACT_COUNT_UP_TO + 1}) s`.execute(trx);
      const n = counted.rows[0]!.n;
      if (n <= EXACT_COUNT_UP_TO) return { totalCount: n, exact: true, items };
      return { totalCount: Math.max(planned.rows, n, atLeast), exact: false, items };
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

    /**
     * A new event and its conversation's summary columns (`patch`) in one statement; the caller
     * holds the conversation's lock. The new event is answered.
     */
    /**
     * Appends an event and brings its conversation's summary up to date, in one statement
     * (`APPEND`): the conversation's row is updated from its own current values, so the summary
     * is right whoever else appends at the same time, locked by the caller or not. Answers the
     * conversation as updated, or undefined when it does not exist in the workspace.
     */
    /**
     * `appendEvent` as a statement to send with the COMMIT (`transaction.beforeCommit`), for a
     * conversation the caller holds — or, with `known`, for a known recipient's send that read
     * nothing first: the conversation is updated only while it is that contact's open one on the
     * channel (inside the window from `inboundAfter`), else the statement fails with
     * STALE_RECIPIENT (db/errors.ts `isStaleRecipient`) and takes the transaction with it.
     */
    appendEventStatement: (row: NewEventRow & { contact_id: string; channel_id: string }, facts: AppendFacts, known?: KnownRecipientCheck): Statement => ({
      text: known ? APPEND_KNOWN : APPEND_STAGED,
      values: [
        ...EVENT_COLUMNS.map((k) => jsonParam(row[k])), facts.customerFacing, facts.inboundCustomer, facts.lost, facts.preview, row.contact_id, row.channel_id,
        ...(known ? [known.phone, known.inboundAfter] : []),
      ],
    }),

    async appendEvent(row: NewEventRow, facts: AppendFacts, trx: Db, returning: 'conversation' | 'id' = 'id') {
      const values = [...EVENT_COLUMNS.map((k) => jsonParam(row[k])), facts.customerFacing, facts.inboundCustomer, facts.lost, facts.preview];
      const rows = await run<ConversationRow>(trx, returning === 'conversation' ? APPEND_RETURNING : APPEND, values);
      return rows[0];
    },

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

    /** The provider's id of the conversation's latest inbound message of this source (newest first on the timeline index). */
    async lastInboundExternalId(conversationId: string, sourceType: number, inbound: number, trx: Db = db) {
      const row = await trx
        .selectFrom('conversation_events')
        .select('external_id')
        .where('conversation_id', '=', conversationId)
        .where('direction', '=', inbound)
        .where('source_type', '=', sourceType)
        .where('external_id', 'is not', null)
        .orderBy('creation_time', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.external_id ?? null;
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

    /** [inbox-api] A person's unread mentions in a conversation, marked read (`conversation_mentions_unread`). */
    markMentionsRead: async (workspaceId: string, conversationId: string, userId: string, at: Date, trx: Db = db) => {
      await trx.updateTable('conversation_mentions').set({ read_at: at }).where('user_id', '=', userId).where('conversation_id', '=', conversationId).where('workspace_id', '=', workspaceId).where('read_at', 'is', null).execute();
    },

    /**
     * [inbox-api] The reply guard: the seen event (by primary key, this contact's on this channel)
     * and the newest message of this source and direction after it in the conversation by anyone
     * but the sender (a person: another owner; a service account: a person, or another handler
     * name), walking the timeline index backwards. No row: the seen event is not the pair's.
     */
    async replyAfter(
      input: { workspaceId: string; channelId: string; contactId: string; conversationId: string; seenEventId: string; sourceType: number; direction: number; senderUserId: string | null; senderName: string | null },
      trx: Db = db,
    ) {
      const { rows } = await sql<{ reply_id: string | null; handler_name: string | null; creation_time: Date | null }>`
        SELECT r.id AS reply_id, r.handler_name, r.creation_time
        FROM conversation_events s
        LEFT JOIN LATERAL (
          SELECT e.id, e.handler_name, e.creation_time FROM conversation_events e
          WHERE e.conversation_id = ${input.conversationId} AND (e.creation_time, e.id) > (s.creation_time, s.id)
            AND e.source_type = ${input.sourceType} AND e.direction = ${input.direction}
            AND NOT (e.owner_user_id IS NOT DISTINCT FROM ${input.senderUserId}::uuid
                     AND (${input.senderUserId}::uuid IS NOT NULL OR e.handler_name IS NOT DISTINCT FROM ${input.senderName}::text))
          ORDER BY e.creation_time DESC, e.id DESC LIMIT 1
        ) r ON true
        WHERE s.id = ${input.seenEventId} AND s.workspace_id = ${input.workspaceId} AND s.channel_id = ${input.channelId} AND s.contact_id = ${input.contactId}
      `.execute(trx);
      const row = rows[0];
      if (!row) return { seen: false as const, reply: null };
      return { seen: true as const, reply: row.reply_id ? { eventId: row.reply_id, authorName: row.handler_name, creationTime: row.creation_time! } : null };
    },

    async insertMentions(rows: Insertable<ConversationMentionsTable>[], trx: Db = db) {
      if (rows.length) await trx.insertInto('conversation_mentions').values(rows).execute();
    },
  };
}
export type ConversationsRepo = ReturnType<typeof createConversationsRepo>;
