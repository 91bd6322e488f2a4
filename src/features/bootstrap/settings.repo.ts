import type { Db } from '../../db/store.js';

/** The secret box's key when WASL_ENCRYPTION_KEY is not set: generated on first start (lib/secret-box.ts). */
export const ENCRYPTION_KEY = 'encryption_key';

/** Small key/value facts about the installation (admin token hash, default workspace, generated encryption key). */
export function createSettingsRepo(db: Db) {
  return {
    async get<T>(key: string, trx: Db = db): Promise<T | undefined> {
      const row = await trx.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value as T | undefined;
    },
    async set(key: string, value: unknown, now: Date, trx: Db = db) {
      await trx
        .insertInto('settings')
        .values({ key, value: JSON.stringify(value), updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now }))
        .execute();
    },
    /** Stores `value` unless the key has one already (two nodes starting at once); returns the one kept. */
    async insertIfAbsent<T>(key: string, value: T, now: Date, trx: Db = db): Promise<T> {
      await trx.insertInto('settings').values({ key, value: JSON.stringify(value), updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
      return (await this.get<T>(key, trx)) as T;
    },
  };
}
export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
