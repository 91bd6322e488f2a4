import type { Db } from '../../db/store.js';
import type { WorkspaceRow } from '../../db/types.js';

export function createWorkspacesRepo(db: Db) {
  return {
    insert: (row: WorkspaceRow) => db.insertInto('workspaces').values(row).returningAll().executeTakeFirstOrThrow(),

    exists: async (id: string) =>
      (await db.selectFrom('workspaces').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,

    findById: (id: string) => db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst(),

    async list(skip: number, take: number) {
      const [items, count] = await Promise.all([
        db.selectFrom('workspaces').selectAll().orderBy('creation_time').orderBy('id').offset(skip).limit(take).execute(),
        db.selectFrom('workspaces').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items, totalCount: Number(count.n) };
    },
  };
}
export type WorkspacesRepo = ReturnType<typeof createWorkspacesRepo>;
