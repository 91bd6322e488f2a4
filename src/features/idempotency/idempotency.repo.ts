import { sql } from 'kysely';
import type { Db } from '../../db/store.js';

export const IN_PROGRESS = 1;
export const DONE = 2;

/** Idempotency keys, scoped by workspace. */
export function createIdempotencyRepo(db: Db) {
  return {
    /** Takes the key for this request; false when a row for it exists already. */
    async take(row: { workspace_id: string; key: string; fingerprint: string; created_at: Date; locked_until: Date }) {
      const taken = await db
        .insertInto('idempotency_keys')
        .values({ ...row, state: IN_PROGRESS, response: null })
        .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      return taken !== undefined;
    },

    find: (workspaceId: string, key: string) =>
      db.selectFrom('idempotency_keys').selectAll().where('workspace_id', '=', workspaceId).where('key', '=', key).executeTakeFirst(),

    /** Takes over an abandoned or expired key (compare-and-set on the row as read); false when someone else did. */
    async takeOver(workspaceId: string, key: string, seen: { locked_until: Date; created_at: Date }, row: { fingerprint: string; created_at: Date; locked_until: Date }) {
      const updated = await db
        .updateTable('idempotency_keys')
        .set({ ...row, state: IN_PROGRESS, response: null })
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .where('locked_until', '=', seen.locked_until)
        .where('created_at', '=', seen.created_at)
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    /** The answer, kept in the transaction of the work it answers for. */
    complete: async (workspaceId: string, key: string, response: unknown, trx: Db) => {
      await trx
        .updateTable('idempotency_keys')
        .set({ state: DONE, response: sql`${JSON.stringify(response)}::jsonb` })
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .execute();
    },

    release: async (workspaceId: string, key: string) => {
      await db.deleteFrom('idempotency_keys').where('workspace_id', '=', workspaceId).where('key', '=', key).where('state', '=', IN_PROGRESS).execute();
    },

    purge: async (before: Date) => {
      await db.deleteFrom('idempotency_keys').where('created_at', '<', before).execute();
    },
  };
}
export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
