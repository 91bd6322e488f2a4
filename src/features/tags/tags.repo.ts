import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { TagRow } from '../../db/types.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../http/errors.js';
import { orderBy, pageOf, withTotal, type SortField } from '../../db/paging.js';

const duplicate = (name: string) =>
  errors.conflict('Wasl:Tag:DuplicateName', `A tag named "${name}" already exists in this workspace.`);

/** Every query is scoped by workspace: another workspace's tag is simply not found. */
export function createTagsRepo(db: Db) {
  return {
    async insert(row: TagRow) {
      try {
        return await db.insertInto('tags').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'tags_name')) throw duplicate(row.name);
        throw err;
      }
    },

    find: (workspaceId: string, id: string) =>
      db.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    async update(workspaceId: string, id: string, patch: Partial<Pick<TagRow, 'name' | 'icon' | 'description' | 'is_pinned'>> & { last_modification_time: Date }) {
      try {
        return await db
          .updateTable('tags')
          .set(patch)
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
      } catch (err) {
        if (isUniqueViolation(err, 'tags_name')) throw duplicate(patch.name ?? '');
        throw err;
      }
    },

    /** False when there was no such tag. A tag still referenced (e.g. by a conversation) is a 409. */
    async delete(workspaceId: string, id: string) {
      try {
        const result = await db.deleteFrom('tags').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      } catch (err) {
        if (isForeignKeyViolation(err)) {
          throw errors.conflict('Wasl:Tag:InUse', `Tag ${id} is still attached to conversations; detach it first.`);
        }
        throw err;
      }
    },

    async list(workspaceId: string, page: { skip: number; take: number; sort: SortField[] }) {
      const query = db.selectFrom('tags').where('workspace_id', '=', workspaceId);
      const rows = await query.selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'tags')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () => (await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },
  };
}
export type TagsRepo = ReturnType<typeof createTagsRepo>;
