import type { Db } from '../../db/store.js';
import type { WorkspaceUserRow } from '../../db/types.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../lib/errors.js';

export function createWorkspaceUsersRepo(db: Db) {
  return {
    async insert(row: WorkspaceUserRow, trx: Db = db) {
      try {
        return await trx.insertInto('workspace_users').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'workspace_users_email')) {
          throw errors.userEmailTaken(row.email);
        }
        throw err;
      }
    },

    listByWorkspace: (workspaceId: string, trx: Db = db) =>
      trx
        .selectFrom('workspace_users')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('creation_time')
        .orderBy('id')
        .execute(),
  };
}
export type WorkspaceUsersRepo = ReturnType<typeof createWorkspaceUsersRepo>;
