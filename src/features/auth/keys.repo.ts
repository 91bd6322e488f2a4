import { sql } from 'kysely';
import type { Db } from '../../db/store.js';

export interface NewSigningKey {
  kid: string;
  alg: string;
  private_jwk: object;
  public_jwk: object;
  creation_time: Date;
}

export function createKeysRepo(db: Db) {
  return {
    listActive: (trx: Db = db) =>
      trx.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('creation_time', 'desc').execute(),

    /** Serialises first starts of several processes until the calling transaction ends. */
    async lockForFirstKey(trx: Db) {
      await sql`SELECT pg_advisory_xact_lock(hashtext('wasl.signing_keys'))`.execute(trx);
    },

    hasActive: async (trx: Db = db) =>
      Boolean(await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst()),

    async insert(row: NewSigningKey, trx: Db = db) {
      await trx
        .insertInto('signing_keys')
        .values({ ...row, private_jwk: JSON.stringify(row.private_jwk), public_jwk: JSON.stringify(row.public_jwk) } as never)
        .execute();
    },
  };
}
export type KeysRepo = ReturnType<typeof createKeysRepo>;
