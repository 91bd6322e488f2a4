import { Readable } from 'node:stream';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import { isStorageKey, storageKey, type FileStorage } from './port.js';

/** Bytes per row of `storage_parts`: big enough to be few rows, small enough to stream without holding a file in memory. */
export const PART_BYTES = 512 * 1024;

/** The adapter's tables (0012_files.ts); a type alias, as Kysely's withTables wants an indexable type. */
type StorageTables = {
  storage_objects: { key: string; mime_type: string; size_bytes: number; parts: number };
  storage_parts: { key: string; part: number; bytes: Buffer };
};

/**
 * Files in the database (PostgreSQL's default), so any API node serves any file: one
 * `storage_objects` row per key and its bytes in `storage_parts` rows of 512 KiB, written in the
 * caller's transaction when given one (else in one of their own) and read back part by part.
 */
export function createDatabaseStorage({ db, transaction }: { db: Db; transaction: Transaction }): FileStorage {
  const tables = (executor: Db) => executor.withTables<StorageTables>();

  return {
    kind: 'database',

    async put(bytes, { mimeType }, options = {}) {
      const key = storageKey(bytes);
      const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
      await transaction(async (trx) => {
        // Equal bytes are one object: a second put of them (or a concurrent one, once it commits) adds nothing.
        const added = await tables(trx)
          .insertInto('storage_objects')
          .values({ key, mime_type: mimeType, size_bytes: bytes.length, parts })
          .onConflict((oc) => oc.column('key').doNothing())
          .returning('key')
          .executeTakeFirst();
        if (!added) return;
        for (let part = 0; part < parts; part++) {
          await tables(trx)
            .insertInto('storage_parts')
            .values({ key, part, bytes: bytes.subarray(part * PART_BYTES, (part + 1) * PART_BYTES) })
            .execute();
        }
      }, options.trx);
      return key;
    },

    async get(key) {
      if (!isStorageKey(key)) return undefined;
      const object = await tables(db).selectFrom('storage_objects').selectAll().where('key', '=', key).executeTakeFirst();
      if (!object) return undefined;
      async function* chunks() {
        for (let part = 0; part < object!.parts; part++) {
          const row = await tables(db).selectFrom('storage_parts').select('bytes').where('key', '=', key).where('part', '=', part).executeTakeFirst();
          if (!row) throw new Error(`Stored file ${key} lacks part ${part}.`);
          yield row.bytes;
        }
      }
      return { body: Readable.from(chunks()), mimeType: object.mime_type, sizeBytes: object.size_bytes };
    },

    async delete(key) {
      if (!isStorageKey(key)) return;
      await transaction(async (trx) => {
        await tables(trx).deleteFrom('storage_parts').where('key', '=', key).execute();
        await tables(trx).deleteFrom('storage_objects').where('key', '=', key).execute();
      });
    },
  };
}
