import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ChannelPatch, NewChannel } from '../../db/types.js';
import { orderBy, pageOf, withTotal } from '../../db/paging.js';
import type { PageRequest } from '../../lib/paging.js';

// jsonb columns go in as JSON text: node-postgres would send a JS array as a PostgreSQL array.
const json = (value: unknown) => (value === null || value === undefined ? value : JSON.stringify(value));
const encode = <T extends Partial<NewChannel>>(row: T) =>
  ({
    ...row,
    ...('whatsapp' in row ? { whatsapp: json(row.whatsapp) } : {}),
    ...('voice' in row ? { voice: json(row.voice) } : {}),
    ...('smart_reconnect' in row ? { smart_reconnect: json(row.smart_reconnect) } : {}),
    ...('inbound_agent' in row ? { inbound_agent: json(row.inbound_agent) } : {}),
  }) as never;

/** The columns that hold sealed secrets (lib/secret-box.ts). */
export const SEALED_COLUMNS = ['provider_secrets', 'webhook_secret', 'previous_webhook_secret'] as const;

export function createChannelsRepo(db: Db) {
  return {
    insert: (row: NewChannel, trx: Db = db) => trx.insertInto('channels').values(encode(row)).returningAll().executeTakeFirstOrThrow(),

    findById: (id: string, trx: Db = db) => trx.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst(),

    /** The row, locked until `trx` ends: for read-modify-write (secret rotation keeps the one it replaces). */
    findForUpdate: (id: string, trx: Db) => trx.selectFrom('channels').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(),

    update: (id: string, patch: ChannelPatch, trx: Db = db) =>
      trx.updateTable('channels').set(encode(patch)).where('id', '=', id).returningAll().executeTakeFirst(),

    async list(workspaceId: string, page: PageRequest & { type?: number }, trx: Db = db) {
      let query = trx.selectFrom('channels').where('workspace_id', '=', workspaceId);
      if (page.type !== undefined) query = query.where('type', '=', page.type);
      const rows = await query.selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'channels')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () => (await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },

    /** Ids of channels with a secret not sealed under the key whose values start with `prefix`. */
    async unsealed(prefix: string, trx: Db = db): Promise<string[]> {
      const stale = SEALED_COLUMNS.map((column) => sql<boolean>`left(${sql.ref(column)}, ${prefix.length}) <> ${prefix}`);
      const rows = await trx.selectFrom('channels').select('id').where(sql<boolean>`${sql.join(stale, sql` OR `)}`).execute();
      return rows.map((r) => r.id);
    },
  };
}
export type ChannelsRepo = ReturnType<typeof createChannelsRepo>;
