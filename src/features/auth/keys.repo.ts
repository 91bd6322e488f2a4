import { sql } from 'kysely';
import type { Db } from '../../db/store.js';

export function createKeysRepo(db: Db) {
  return {
    listActive: () =>
      db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('creation_time', 'desc').execute(),

    /** Inserts a key unless another process made one first; the advisory lock serialises first starts. */
    async insertIfNone(row: { kid: string; alg: string; private_jwk: object; public_jwk: object; creation_time: Date }) {
      return db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('wasl.signing_keys'))`.execute(trx);
        const existing = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
        if (existing) return false;
        await trx
          .insertInto('signing_keys')
          .values({ ...row, private_jwk: JSON.stringify(row.private_jwk), public_jwk: JSON.stringify(row.public_jwk) } as never)
          .execute();
        return true;
      });
    },
  };
}
export type KeysRepo = ReturnType<typeof createKeysRepo>;
