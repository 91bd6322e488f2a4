import type { Db } from '../../db/store.js';
import type { Insertable, Updateable } from 'kysely';
import type { WorkspacesTable } from '../../db/types.js';
import { orderBy, type SortField } from '../../http/paging.js';

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
      const [items, count] = await Promise.all([
        db.selectFrom('workspaces').selectAll().orderBy(orderBy(page.sort, 'workspaces')).offset(page.skip).limit(page.take).execute(),
        db.selectFrom('workspaces').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items, totalCount: Number(count.n) };
    },
  };
}
export type WorkspacesRepo = ReturnType<typeof createWorkspacesRepo>;
