import type { Db } from '../../db/store.js';

/** Small key/value facts about the installation (admin token hash, default workspace). */
export function createSettingsRepo(db: Db) {
  return {
    async get<T>(key: string): Promise<T | undefined> {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value as T | undefined;
    },
    async set(key: string, value: unknown, now: Date) {
      await db
        .insertInto('settings')
        .values({ key, value: JSON.stringify(value), updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now }))
        .execute();
    },
  };
}
export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
