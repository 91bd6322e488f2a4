import { sql, type Generated } from 'kysely';
import type { Db } from '../../db/store.js';
import { prepared, run } from '../../db/prepared.js';
import type { Statement } from '../../db/transaction.js';

/** The event log (0019_events.ts): one row per event; `seq` given after commit by the sequencer. */
export interface EventLogTable {
  id: Generated<string>;
  seq: string | null;
  workspace_id: string;
  type: string;
  conversation_id: string | null;
  audience_user_id: string | null;
  /** The payload as JSON text: written to a stream as it is, never parsed again. */
  data: string;
  created_at: Date;
}
type Tables = { event_log: EventLogTable };

export type NewLoggedEvent = Omit<EventLogTable, 'id' | 'seq'> & { seq?: null };

/** A sequenced event as streams read it (`seq` as a number: positions stay far below 2^53). */
export interface LoggedEvent {
  seq: number;
  workspaceId: string;
  type: string;
  conversationId: string | null;
  audienceUserId: string | null;
  data: string;
}

/** What a stream's replay asks for beyond its workspace (types and conversation; the audience is judged in JS). */
export interface ReplayFilter {
  types: string[] | null;
  conversationId: string | null;
}

export const EVENTS_CHANNEL = 'wasl_events';

/** The hot path's insert: one fixed text (prepared, db/prepared.ts) for any number of events, as arrays. */
const INSERT = prepared(`
  INSERT INTO event_log (workspace_id, type, conversation_id, audience_user_id, data, created_at)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[])`);

const toEvent = (r: { seq: string; workspace_id: string; type: string; conversation_id: string | null; audience_user_id: string | null; data: string }): LoggedEvent => ({
  seq: Number(r.seq),
  workspaceId: r.workspace_id,
  type: r.type,
  conversationId: r.conversation_id,
  audienceUserId: r.audience_user_id,
  data: r.data,
});

function insertStatement(rows: NewLoggedEvent[]): Statement {
  const column = <K extends keyof NewLoggedEvent>(k: K) => rows.map((r) => r[k]);
  return { text: INSERT, values: [column('workspace_id'), column('type'), column('conversation_id'), column('audience_user_id'), column('data'), column('created_at')] };
}

export function createEventsRepo(db: Db) {
  const t = (executor: Db) => executor.withTables<Tables>();
  const columns = ['seq', 'workspace_id', 'type', 'conversation_id', 'audience_user_id', 'data'] as const;

  return {
    /** The hot path's one statement: the events of a change, in its transaction. */
    async insert(rows: NewLoggedEvent[], trx: Db = db) {
      const { text, values } = insertStatement(rows);
      await run(trx, text, values);
    },

    /** The same insert as a statement to send with a COMMIT (`transaction.beforeCommit`). */
    insertStatement,

    /**
     * The sequencer (0019_events.ts `event_log_sequence`, one statement): under the advisory lock,
     * gives the next positions to the committed rows that have none, in id order, and with
     * `announce` NOTIFYs the last one to the other nodes as it commits. Answers how many and the last.
     */
    async sequence(limit: number, announce: boolean): Promise<{ count: number; last: number | null }> {
      const { rows } = await sql<{ n: number; last: string | null }>`SELECT n, last::text AS last FROM event_log_sequence(${limit}::int, ${announce})`.execute(db);
      const row = rows[0]!;
      return { count: row.n, last: row.last === null ? null : Number(row.last) };
    },

    /** Whether any committed row waits for a position (an index-only look at the to-do list). */
    async anyUnsequenced(): Promise<boolean> {
      const { rows } = await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM event_log WHERE seq IS NULL) AS any`.execute(db);
      return rows[0]!.any;
    },

    /** The oldest and newest positions kept (null, null when there are none). */
    async bounds(): Promise<{ first: number | null; last: number | null }> {
      const { rows } = await sql<{ first: string | null; last: string | null }>`
        SELECT min(seq)::text AS first, max(seq)::text AS last FROM event_log WHERE seq IS NOT NULL`.execute(db);
      const r = rows[0]!;
      return { first: r.first === null ? null : Number(r.first), last: r.last === null ? null : Number(r.last) };
    },

    /** Every workspace's events after `seq`, in order: what one reader per node fans out. */
    async after(seq: number, limit: number): Promise<LoggedEvent[]> {
      const rows = await t(db).selectFrom('event_log').select(columns).where('seq', '>', String(seq)).orderBy('seq').limit(limit).execute();
      return rows.map((r) => toEvent(r as Parameters<typeof toEvent>[0]));
    },

    /** One workspace's events after `seq`, in order (a stream resuming). */
    async workspaceAfter(workspaceId: string, seq: number, filter: ReplayFilter, limit: number): Promise<LoggedEvent[]> {
      let q = t(db).selectFrom('event_log').select(columns).where('workspace_id', '=', workspaceId).where('seq', '>', String(seq));
      if (filter.types) q = q.where('type', 'in', filter.types);
      if (filter.conversationId) q = q.where('conversation_id', '=', filter.conversationId);
      const rows = await q.orderBy('seq').limit(limit).execute();
      return rows.map((r) => toEvent(r as Parameters<typeof toEvent>[0]));
    },

    /**
     * Deletes the oldest events up to the first one made at or after `before` (so a resume from any
     * kept position is whole: positions are contiguous from the oldest kept on), at most `limit`
     * rows; the newest event always stays, so positions never start again. Answers how many.
     */
    async prune(before: Date, limit: number): Promise<number> {
      const { numAffectedRows } = await sql`
        WITH kept AS (SELECT min(seq) AS lo, max(seq) AS hi FROM event_log WHERE seq IS NOT NULL)
        DELETE FROM event_log WHERE seq IS NOT NULL AND seq < (
          SELECT coalesce(
            (SELECT seq FROM event_log WHERE seq >= kept.lo AND seq < kept.lo + ${limit} AND created_at >= ${before} ORDER BY seq LIMIT 1),
            least(kept.lo + ${limit}, kept.hi))
          FROM kept)`.execute(db);
      return Number(numAffectedRows ?? 0);
    },
  };
}
export type EventsRepo = ReturnType<typeof createEventsRepo>;
