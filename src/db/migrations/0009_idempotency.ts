import { sql, type Kysely } from 'kysely';

/**
 * `Idempotency-Key` on sends (decisions.md "WhatsApp sends"; features/idempotency/README.md): one
 * row per (workspace, key), taken before the work and completed with the answer in the work's own
 * transaction; kept 24 hours.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE idempotency_keys (
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      key text NOT NULL,
      fingerprint text NOT NULL,
      state smallint NOT NULL,
      response jsonb,
      created_at timestamptz(3) NOT NULL,
      locked_until timestamptz(3) NOT NULL,
      PRIMARY KEY (workspace_id, key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE idempotency_keys`.execute(db);
}
