import { sql, type Kysely } from 'kysely';

/**
 * The inbox's lists and counts across a workspace's channels (features/inbox/README.md): each
 * view and status is one index range walked in (last_activity_at, id) order, so a page is a
 * keyset walk and a capped count reads at most the cap's entries.
 * - `conversations_inbox`: All (and any channel, tag, date filter on it).
 * - `conversations_inbox_assignee`: Mine (assignee_key = the person), Unassigned (IS NULL), assigneeId.
 * - `conversations_inbox_unread` / `_lost`: "unread only", the unread total and `lost`, partial so
 *   they hold only the conversations they match.
 * - `conversation_mentions_unread`: a person's unread mentions (the Mentions view, `mentionsUnread`,
 *   and marking them read).
 * Cost on the hot path: every message already rewrites its conversation's row outside HOT (its
 * last_activity_at is indexed), so each index here adds one index entry per message (the partial
 * ones only while their predicate holds). Built without CONCURRENTLY (the migrator's transaction):
 * on a large install run it in a quiet moment.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX conversations_inbox ON conversations (workspace_id, status, last_activity_at DESC, id DESC);
    CREATE INDEX conversations_inbox_assignee ON conversations (workspace_id, assignee_key, status, last_activity_at DESC, id DESC);
    CREATE INDEX conversations_inbox_unread ON conversations (workspace_id, status, last_activity_at DESC, id DESC) WHERE unread_count > 0;
    CREATE INDEX conversations_inbox_lost ON conversations (workspace_id, status, last_activity_at DESC, id DESC) WHERE is_lost;
    CREATE INDEX conversation_mentions_unread ON conversation_mentions (user_id, conversation_id) WHERE read_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX conversation_mentions_unread;
    DROP INDEX conversations_inbox_lost;
    DROP INDEX conversations_inbox_unread;
    DROP INDEX conversations_inbox_assignee;
    DROP INDEX conversations_inbox;
  `.execute(db);
}
