import { sql, type Kysely } from 'kysely';

/**
 * The raw body of every WhatsApp webhook a channel accepted (signature checked), stored with the
 * jobs it became, so an operator can see exactly what Meta sent; kept 7 days.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE whatsapp_webhook_events (
      id uuid PRIMARY KEY,
      channel_id uuid NOT NULL,
      received_at timestamptz(3) NOT NULL,
      body text NOT NULL,
      messages integer NOT NULL,
      statuses integer NOT NULL
    );
    CREATE INDEX whatsapp_webhook_events_channel ON whatsapp_webhook_events (channel_id, received_at);
    CREATE INDEX whatsapp_webhook_events_received ON whatsapp_webhook_events (received_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE whatsapp_webhook_events`.execute(db);
}
