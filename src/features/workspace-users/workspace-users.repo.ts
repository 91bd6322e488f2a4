import type { Db } from '../../db/store.js';
import type { WorkspaceUserRow } from '../../db/types.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../http/errors.js';

export function createWorkspaceUsersRepo(db: Db) {
  return {
    async insert(row: WorkspaceUserRow) {
      try {
        return await db.insertInto('workspace_users').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'workspace_users_email')) {
          throw errors.conflict('Wasl:User:DuplicateEmail', `A user with email ${row.email} is already in this workspace.`);
        }
        throw err;
      }
    },

    listByWorkspace: (workspaceId: string) =>
      db
        .selectFrom('workspace_users')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('creation_time')
        .orderBy('id')
        .execute(),
  };
}
export type WorkspaceUsersRepo = ReturnType<typeof createWorkspaceUsersRepo>;
