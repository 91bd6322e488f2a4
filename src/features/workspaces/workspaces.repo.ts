import type { Db } from '../../db/store.js';
import { sql, type Insertable, type Updateable } from 'kysely';
import type { WorkspacesTable } from '../../db/types.js';
import { orderBy, pageOf, withTotal, type SortField } from '../../db/paging.js';

export function createWorkspacesRepo(db: Db) {
  return {
    insert: (row: Insertable<WorkspacesTable>) => db.insertInto('workspaces').values(row).returningAll().executeTakeFirstOrThrow(),

    update: async (id: string, patch: Updateable<WorkspacesTable>) =>
      Object.keys(patch).length === 0
        ? db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst()
        : db.updateTable('workspaces').set(patch).where('id', '=', id).returningAll().executeTakeFirst(),

    exists: async (id: string) =>
      (await db.selectFrom('workspaces').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,

    findById: (id: string, trx: Db = db) => trx.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst(),

    async list(page: { skip: number; take: number; sort: SortField[] }) {
      const rows = await db.selectFrom('workspaces').selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'workspaces')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () =>
        (await db.selectFrom('workspaces').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n,
      );
    },
  };
}
export type WorkspacesRepo = ReturnType<typeof createWorkspacesRepo>;
