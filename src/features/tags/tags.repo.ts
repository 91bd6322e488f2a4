import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { TagRow } from '../../db/types.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../lib/errors.js';
import { orderBy, pageOf, withTotal } from '../../db/paging.js';
import type { PageRequest } from '../../lib/paging.js';

/** Every query is scoped by workspace: another workspace's tag is simply not found. */
export function createTagsRepo(db: Db) {
  return {
    async insert(row: TagRow, trx: Db = db) {
      try {
        return await trx.insertInto('tags').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'tags_name')) throw errors.tagNameTaken(row.name);
        throw err;
      }
    },

    find: (workspaceId: string, id: string, trx: Db = db) =>
      trx.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    async update(workspaceId: string, id: string, patch: Partial<Pick<TagRow, 'name' | 'icon' | 'description' | 'is_pinned'>> & { last_modification_time: Date }, trx: Db = db) {
      try {
        return await trx
          .updateTable('tags')
          .set(patch)
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
      } catch (err) {
        if (isUniqueViolation(err, 'tags_name')) throw errors.tagNameTaken(patch.name ?? '');
        throw err;
      }
    },

    /** False when there was no such tag. A tag still referenced (e.g. by a conversation) is a 409. */
    async delete(workspaceId: string, id: string, trx: Db = db) {
      try {
        const result = await trx.deleteFrom('tags').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      } catch (err) {
        if (isForeignKeyViolation(err)) {
          throw errors.tagInUse(id);
        }
        throw err;
      }
    },

    async list(workspaceId: string, page: PageRequest, trx: Db = db) {
      const query = trx.selectFrom('tags').where('workspace_id', '=', workspaceId);
      const rows = await query.selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'tags')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () => (await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },
  };
}
export type TagsRepo = ReturnType<typeof createTagsRepo>;
