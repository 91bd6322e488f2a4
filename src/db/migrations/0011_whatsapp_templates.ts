import { sql, type Kysely } from 'kysely';

/**
 * The WhatsApp template catalogue (features/templates/README.md): one row per channel × name ×
 * language, with Meta's component definitions as given, and where it came from (the admin API, a
 * sync from the Graph API, the sandbox's built-in catalogue). Beside it, per channel, the last
 * catalogue sync (which provider's, when, the periodic sync's next due time, its last error).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE whatsapp_templates (
      id uuid PRIMARY KEY,
      channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
      name text NOT NULL,
      language text NOT NULL,
      status text NOT NULL,
      category text NOT NULL,
      components jsonb NOT NULL,
      source text NOT NULL CHECK (source IN ('admin', 'sync', 'sandbox')),
      creation_time timestamptz(3) NOT NULL,
      last_modification_time timestamptz(3) NOT NULL,
      CONSTRAINT whatsapp_templates_name UNIQUE (channel_id, name, language)
    );
    CREATE TABLE whatsapp_template_syncs (
      channel_id uuid PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
      provider text NOT NULL,
      synced_at timestamptz(3) NOT NULL,
      next_sync_at timestamptz(3),
      last_error text,
      last_error_at timestamptz(3)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE whatsapp_template_syncs; DROP TABLE whatsapp_templates`.execute(db);
}
