import type { Db } from '../../db/store.js';
import { sql, type Insertable, type Updateable } from 'kysely';
import type { WorkspacesTable } from '../../db/types.js';
import { orderBy, pageOf, withTotal } from '../../db/paging.js';
import type { PageRequest } from '../../lib/paging.js';

/** The columns that hold sealed secrets (lib/secret-box.ts). */
export const SEALED_COLUMNS = ['webhook_secret', 'previous_webhook_secret'] as const;

export function createWorkspacesRepo(db: Db) {
  return {
    insert: (row: Insertable<WorkspacesTable>, trx: Db = db) => trx.insertInto('workspaces').values(row).returningAll().executeTakeFirstOrThrow(),

    update: async (id: string, patch: Updateable<WorkspacesTable>, trx: Db = db) =>
      Object.keys(patch).length === 0
        ? trx.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst()
        : trx.updateTable('workspaces').set(patch).where('id', '=', id).returningAll().executeTakeFirst(),

    exists: async (id: string, trx: Db = db) =>
      (await trx.selectFrom('workspaces').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,

    findById: (id: string, trx: Db = db) => trx.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst(),

    /** The row, locked until `trx` ends: for read-modify-write (secret rotation keeps the one it replaces). */
    findForUpdate: (id: string, trx: Db) => trx.selectFrom('workspaces').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

    async list(page: PageRequest, trx: Db = db) {
      const rows = await trx.selectFrom('workspaces').selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'workspaces')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () =>
        (await trx.selectFrom('workspaces').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n,
      );
    },

    /** Ids of workspaces with a secret not sealed under the key whose values start with `prefix`. */
    async unsealed(prefix: string, trx: Db = db): Promise<string[]> {
      const stale = SEALED_COLUMNS.map((column) => sql<boolean>`left(${sql.ref(column)}, ${prefix.length}) <> ${prefix}`);
      const rows = await trx.selectFrom('workspaces').select('id').where(sql<boolean>`${sql.join(stale, sql` OR `)}`).execute();
      return rows.map((r) => r.id);
    },
  };
}
export type WorkspacesRepo = ReturnType<typeof createWorkspacesRepo>;
