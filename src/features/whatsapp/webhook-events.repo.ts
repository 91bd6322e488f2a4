import type { Insertable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { WhatsAppWebhookEventsTable } from '../../db/types.js';

/** The raw WhatsApp webhooks a channel accepted. */
export function createWebhookEventsRepo(db: Db) {
  return {
    insert: async (row: Insertable<WhatsAppWebhookEventsTable>, trx: Db = db) => {
      await trx.insertInto('whatsapp_webhook_events').values(row).execute();
    },
    purge: async (before: Date) => {
      await db.deleteFrom('whatsapp_webhook_events').where('received_at', '<', before).execute();
    },
  };
}
export type WebhookEventsRepo = ReturnType<typeof createWebhookEventsRepo>;
