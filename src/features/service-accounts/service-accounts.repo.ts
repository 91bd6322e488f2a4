import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ServiceAccountRow } from '../../db/types.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../http/errors.js';

export const duplicateClientId = (clientId: string) =>
  errors.conflict('Wasl:ServiceAccount:DuplicateClientId', `A service account with client id ${clientId} already exists.`);

export function createServiceAccountsRepo(db: Db) {
  return {
    async insert(row: Omit<ServiceAccountRow, 'credential_version' | 'disabled_at'>) {
      try {
        return await db.insertInto('service_accounts').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        // Two creators racing for one client id (e.g. two nodes bootstrapping at once).
        if (isUniqueViolation(err)) throw duplicateClientId(row.client_id);
        throw err;
      }
    },

    findByClientId: (clientId: string) =>
      db.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst(),

    countByWorkspace: async (workspaceId: string) =>
      (
        await db
          .selectFrom('service_accounts')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,

    state: (id: string) =>
      db
        .selectFrom('service_accounts')
        .select(['credential_version', 'disabled_at'])
        .where('id', '=', id)
        .executeTakeFirst(),

    /** A new secret hash (and optionally re-enabling); bumping the version ends every earlier token. */
    setSecret: (id: string, secretHash: string, now: Date, enable = false) =>
      db
        .updateTable('service_accounts')
        .set({
          secret_hash: secretHash,
          credential_version: sql`credential_version + 1`,
          last_modification_time: now,
          ...(enable ? { disabled_at: null } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),

    disable: (id: string, now: Date) =>
      db
        .updateTable('service_accounts')
        .set({ disabled_at: sql`coalesce(disabled_at, ${now})`, credential_version: sql`credential_version + 1`, last_modification_time: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
  };
}
export type ServiceAccountsRepo = ReturnType<typeof createServiceAccountsRepo>;
