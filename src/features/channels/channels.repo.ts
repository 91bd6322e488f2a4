import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ChannelPatch, NewChannel } from '../../db/types.js';
import { orderBy, pageOf, withTotal, type SortField } from '../../db/paging.js';

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

export function createChannelsRepo(db: Db) {
  return {
    insert: (row: NewChannel) => db.insertInto('channels').values(encode(row)).returningAll().executeTakeFirstOrThrow(),

    findById: (id: string, trx: Db = db) => trx.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst(),

    update: (id: string, patch: ChannelPatch) =>
      db.updateTable('channels').set(encode(patch)).where('id', '=', id).returningAll().executeTakeFirst(),

    async list(workspaceId: string, page: { skip: number; take: number; sort: SortField[]; type?: number }) {
      let query = db.selectFrom('channels').where('workspace_id', '=', workspaceId);
      if (page.type !== undefined) query = query.where('type', '=', page.type);
      const rows = await query.selectAll().select(withTotal()).orderBy(orderBy(page.sort, 'channels')).offset(page.skip).limit(page.take).execute();
      return pageOf(rows, page.skip, async () => (await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },
  };
}
export type ChannelsRepo = ReturnType<typeof createChannelsRepo>;
