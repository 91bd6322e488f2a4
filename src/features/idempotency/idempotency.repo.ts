import { sql } from 'kysely';
import type { Db } from '../../db/store.js';

/** `state` of a kept answer (older rows may hold 1, "in progress", from before keys were taken in the work's transaction: free). */
export const DONE = 2;

/** Idempotency keys, scoped by workspace. */
export function createIdempotencyRepo(db: Db) {
  return {
    /**
     * The key's lock for this transaction, or false when another transaction holds it (a request
     * with this key still running, on any node). A transaction-level advisory lock: it ends with
     * the transaction, so a node that dies mid-request leaves nothing behind.
     */
    async lock(workspaceId: string, key: string, trx: Db) {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended(${`idempotency:${workspaceId}:${key}`}, 0)) AS locked`.execute(trx);
      return rows[0]!.locked;
    },

    find: (workspaceId: string, key: string, trx: Db) =>
      trx.selectFrom('idempotency_keys').selectAll().where('workspace_id', '=', workspaceId).where('key', '=', key).executeTakeFirst(),

    /** The answer, kept in the transaction of the work it answers for (an expired or stale row replaced). */
    async save(row: { workspace_id: string; key: string; fingerprint: string; created_at: Date }, response: unknown, trx: Db) {
      const values = { ...row, state: DONE, locked_until: row.created_at, response: sql<unknown>`${JSON.stringify(response)}::jsonb` };
      await trx
        .insertInto('idempotency_keys')
        .values(values)
        .onConflict((oc) => oc.columns(['workspace_id', 'key']).doUpdateSet({ fingerprint: row.fingerprint, created_at: row.created_at, state: DONE, locked_until: row.created_at, response: values.response }))
        .execute();
    },

    purge: async (before: Date) => {
      await db.deleteFrom('idempotency_keys').where('created_at', '<', before).execute();
    },
  };
}
export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
