import type { Db } from '../../db/store.js';
import type { WorkspaceRow } from '../../db/types.js';
import { orderBy, type SortField } from '../../http/paging.js';

export function createWorkspacesRepo(db: Db) {
  return {
    insert: (row: WorkspaceRow) => db.insertInto('workspaces').values(row).returningAll().executeTakeFirstOrThrow(),

    exists: async (id: string) =>
      (await db.selectFrom('workspaces').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,

    findById: (id: string) => db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst(),

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
