import type { Insertable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { WhatsAppWebhookEventsTable } from '../../db/types.js';

/** The raw WhatsApp webhooks a channel accepted. */
export function createWebhookEventsRepo(db: Db) {
  return {
    /** Keeps a raw webhook once: false when its id is stored already (its job ran before). */
    insertOnce: async (row: Insertable<WhatsAppWebhookEventsTable>, trx: Db = db) =>
      (await trx.insertInto('whatsapp_webhook_events').values(row).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst()) !== undefined,
    purge: async (before: Date) => {
      await db.deleteFrom('whatsapp_webhook_events').where('received_at', '<', before).execute();
    },
  };
}
export type WebhookEventsRepo = ReturnType<typeof createWebhookEventsRepo>;
