import { sql, type Kysely } from 'kysely';

/**
 * Combining marks folded away, as `lib/fold.ts` does with `\p{Mn}` (PostgreSQL's regular
 * expressions have no Unicode classes): Latin accents, the Arabic marks (tashkeel, the superscript
 * alef, Quranic annotation signs) and the tatweel.
 */
const MARKS = '[\u0300-\u036f\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed]';

/**
 * Message text search (the inbox's `/` search, features/inbox/README.md).
 * - `search_fold(text)`: the folding of `lib/fold.ts` in SQL — NFKD, marks away, ى → ي, ة → ه,
 *   lower case, single spaces, trimmed — so "اهلا" finds "أهلاً" and "cafe" finds "Café". Applied to the
 *   timeline's text and to the query alike, in the same store, so both sides always fold the same
 *   way (`lower()` follows the store's locale: PGlite's C locale lowers ASCII only).
 * - `conversation_events_search`: a trigram GIN index on the folded text of every event with a
 *   text (messages, captions, notes), so `search_fold(body) LIKE '%…%'` is an index search at any
 *   size; no column is added (the row and the send's statement stay as they are). GIN's pending
 *   list (fastupdate, the default) keeps the insert cheap: entries are merged in batches by vacuum
 *   or when the list passes `gin_pending_list_limit` (BENCHMARKS.md "Agent inbox" has its cost).
 * - `conversation_events_recent_text` and the statistics `conversation_events_folded`: for a word
 *   so common that walking the workspace's texts newest first finds a page at once.
 * Built without CONCURRENTLY (the migrator's transaction): 19 s for the trigram index at 1,200,000
 * events on 2 cores, while new messages wait; on a large install run it in a quiet moment.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION search_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN btrim(lower(regexp_replace(translate(regexp_replace(normalize(t, NFKD), ${sql.lit(MARKS)}, '', 'g'), ${sql.lit('\u0649\u0629')}, ${sql.lit('\u064a\u0647')}), '\\s+', ' ', 'g')))
  `.execute(db);
  await sql`CREATE INDEX conversation_events_search ON conversation_events USING gin (search_fold(body) gin_trgm_ops) WHERE body IS NOT NULL`.execute(db);
  // A common word (hundreds of thousands of matches): newest first along this index, stopping at
  // the page, instead of folding every match and sorting them (3.5 s → 1 ms at 1,000,000 events).
  // The planner tells the two apart only with statistics on the folded text: a partial index's
  // expression gets none of its own.
  await sql`CREATE INDEX conversation_events_recent_text ON conversation_events (workspace_id, creation_time DESC, id DESC) WHERE body IS NOT NULL`.execute(db);
  await sql`CREATE STATISTICS conversation_events_folded ON (search_fold(body)) FROM conversation_events`.execute(db);
  await sql`ANALYZE conversation_events`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP STATISTICS conversation_events_folded`.execute(db);
  await sql`DROP INDEX conversation_events_recent_text`.execute(db);
  await sql`DROP INDEX conversation_events_search`.execute(db);
  await sql`DROP FUNCTION search_fold(text)`.execute(db);
}
