import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ServiceAccountRow } from '../../db/types.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../lib/errors.js';

export function createServiceAccountsRepo(db: Db) {
  return {
    async insert(row: Omit<ServiceAccountRow, 'credential_version' | 'disabled_at'>, trx: Db = db) {
      try {
        return await trx.insertInto('service_accounts').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        // Two creators racing for one client id (e.g. two nodes bootstrapping at once).
        if (isUniqueViolation(err)) throw errors.clientIdTaken(row.client_id);
        throw err;
      }
    },

    findByClientId: (clientId: string, trx: Db = db) =>
      trx.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst(),

    countByWorkspace: async (workspaceId: string, trx: Db = db) =>
      (
        await trx
          .selectFrom('service_accounts')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,

    state: (id: string, trx: Db = db) =>
      trx
        .selectFrom('service_accounts')
        .select(['credential_version', 'disabled_at'])
        .where('id', '=', id)
        .executeTakeFirst(),

    /** A new secret hash (and optionally re-enabling); bumping the version ends every earlier token. */
    setSecret: (id: string, secretHash: string, now: Date, enable = false, trx: Db = db) =>
      trx
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

    disable: (id: string, now: Date, trx: Db = db) =>
      trx
        .updateTable('service_accounts')
        .set({ disabled_at: sql`coalesce(disabled_at, ${now})`, credential_version: sql`credential_version + 1`, last_modification_time: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
  };
}
export type ServiceAccountsRepo = ReturnType<typeof createServiceAccountsRepo>;
