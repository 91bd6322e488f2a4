import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ServiceAccountRow } from '../../db/types.js';

export function createServiceAccountsRepo(db: Db) {
  return {
    insert: (row: Omit<ServiceAccountRow, 'credential_version' | 'disabled_at'>) =>
      db.insertInto('service_accounts').values(row).returningAll().executeTakeFirstOrThrow(),

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

    findById: (id: string) => db.selectFrom('service_accounts').selectAll().where('id', '=', id).executeTakeFirst(),

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
