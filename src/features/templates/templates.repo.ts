import { sql, type ColumnType, type Selectable } from 'kysely';
import type { Db } from '../../db/store.js';
import { orderBy, pageOf, withTotal } from '../../db/paging.js';
import type { PageRequest } from '../../lib/paging.js';

type Time = ColumnType<Date, Date, Date>;
export type TemplateSource = 'admin' | 'sync' | 'sandbox';

/** Migration 0011: one row per channel × name × language, Meta's component definitions as given. */
type WhatsAppTemplatesTable = {
  id: string;
  channel_id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: ColumnType<Record<string, unknown>[], string, string>;
  source: TemplateSource;
  creation_time: Time;
  last_modification_time: Time;
};

/** The last catalogue sync of a channel (the sandbox's seeding counts), and the periodic sync's next due time. */
type WhatsAppTemplateSyncsTable = {
  channel_id: string;
  provider: string;
  synced_at: Time;
  next_sync_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
};

// The tables are this feature's alone, so their row types live here rather than in db/types.ts.
type Tables = { whatsapp_templates: WhatsAppTemplatesTable; whatsapp_template_syncs: WhatsAppTemplateSyncsTable };
export type TemplateRow = Selectable<WhatsAppTemplatesTable>;
export type SyncRow = Selectable<WhatsAppTemplateSyncsTable>;
export interface TemplateInput {
  name: string;
  language: string;
  status: string;
  category: string;
  components: Record<string, unknown>[];
}

const own = (db: Db) => db.withTables<Tables>();

export function createTemplatesRepo(db: Db) {
  /** Inserts or replaces (same channel, name and language); `inserted` says which. */
  async function upsert(channelId: string, t: TemplateInput & { id: string; source: TemplateSource; now: Date }, trx: Db = db) {
    return own(trx)
      .insertInto('whatsapp_templates')
      .values({
        id: t.id,
        channel_id: channelId,
        name: t.name,
        language: t.language,
        status: t.status,
        category: t.category,
        // jsonb goes in as JSON text: node-postgres would send a JS array as a PostgreSQL array.
        components: JSON.stringify(t.components),
        source: t.source,
        creation_time: t.now,
        last_modification_time: t.now,
      })
      .onConflict((oc) =>
        oc.constraint('whatsapp_templates_name').doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          category: eb.ref('excluded.category'),
          components: eb.ref('excluded.components'),
          source: eb.ref('excluded.source'),
          last_modification_time: eb.ref('excluded.last_modification_time'),
        })),
      )
      .returningAll()
      // xmax is 0 on a row this statement inserted, set on one it updated.
      .returning(sql<boolean>`xmax = 0`.as('inserted'))
      .executeTakeFirstOrThrow();
  }

  return {
    upsert,

    async list(channelId: string, page: PageRequest, trx: Db = db) {
      const query = own(trx).selectFrom('whatsapp_templates').where('channel_id', '=', channelId);
      const rows = await query.selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'whatsapp_templates')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () => (await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },

    /** Every language of one template name on a channel. */
    byName: (channelId: string, name: string, trx: Db = db) =>
      own(trx).selectFrom('whatsapp_templates').selectAll().where('channel_id', '=', channelId).where('name', '=', name).orderBy('language').execute(),

    /** Removes the entries a sync brought (any provider's) that are not in `keep` (ids); the admin's stay. */
    async removeSyncedExcept(channelId: string, keep: string[], trx: Db) {
      let query = own(trx).deleteFrom('whatsapp_templates').where('channel_id', '=', channelId).where('source', '<>', 'admin');
      if (keep.length) query = query.where('id', 'not in', keep);
      return Number((await query.executeTakeFirst()).numDeletedRows);
    },

    syncState: (channelId: string, trx: Db = db) => own(trx).selectFrom('whatsapp_template_syncs').selectAll().where('channel_id', '=', channelId).executeTakeFirst(),

    /**
     * Records a sync, taking the channel's sync row (made when missing) as the first statement of
     * `trx`: two syncs of one channel at once write one after the other.
     */
    async lockSync(channelId: string, state: { provider: string; syncedAt: Date; nextSyncAt: Date | null }, trx: Db) {
      await own(trx)
        .insertInto('whatsapp_template_syncs')
        .values({ channel_id: channelId, provider: state.provider, synced_at: state.syncedAt, next_sync_at: state.nextSyncAt, last_error: null, last_error_at: null })
        .onConflict((oc) =>
          oc.column('channel_id').doUpdateSet({ provider: state.provider, synced_at: state.syncedAt, next_sync_at: state.nextSyncAt, last_error: null, last_error_at: null }),
        )
        .execute();
    },

    /** A failed sync of a channel that synced before: the error, and when the periodic sync tries again. */
    async syncFailed(channelId: string, failure: { error: string; at: Date; nextSyncAt: Date | null }, trx: Db = db) {
      await own(trx)
        .updateTable('whatsapp_template_syncs')
        .set({ last_error: failure.error, last_error_at: failure.at, ...(failure.nextSyncAt && { next_sync_at: failure.nextSyncAt }) })
        .where('channel_id', '=', channelId)
        .execute();
    },
  };
}
export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
